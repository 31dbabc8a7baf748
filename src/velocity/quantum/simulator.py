"""Run the real scheduler against the simulated CI on a virtual clock.

Only the clock and the executor are fake: every decision is made by
:func:`velocity.quantum.scheduler.step`, exactly as in production.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field

from velocity.quantum.codec import Job
from velocity.quantum.executors.simulated import SimulatedExecutor
from velocity.quantum.executors.simulated import SimulatedOutcomes
from velocity.quantum.model import Action
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import Eject
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Event
from velocity.quantum.model import Merge
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.scheduler import step
from velocity.quantum.strategies import Strategy
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy

__all__ = ["SimConfig", "SimResult", "TimelineEntry", "format_time", "simulate"]


@dataclass(frozen=True)
class SimConfig:
    """A simulated day in the queue.

    :param prs: how many pull requests arrive.
    :param arrivals_per_hour: Poisson arrival rate; 0 puts every PR in the queue at time 0.
    :param fail_rate: chance that a PR is broken (its builds fail).
    :param flake_rate: chance that any build fails for no reason.
    :param conflict_rate: chance that a PR conflicts with whatever is ahead of it.
    :param arrival_scale: multiplies every arrival time, keeping the same PRs, outcomes
        and order: 0 queues the whole trace at time 0 (what the queue can do, not
        what arrives).

    .. versionadded:: 0.1
    .. versionchanged:: 0.3
       *arrival_scale*.
    """

    prs: int = 3
    seed: int = 0
    strategy: str = "speculative"
    depth: int = 3
    concurrency: int | None = None
    ci_duration: float = 1200.0
    sigma: float = 0.0
    fail_rate: float = 0.0
    flake_rate: float = 0.0
    conflict_rate: float = 0.0
    arrivals_per_hour: float = 0.0
    arrival_scale: float = 1.0


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: *time* in seconds, a *kind* and a human *text*.

    .. versionadded:: 0.1
    """

    time: float
    kind: str
    text: str


@dataclass
class SimResult:
    """What happened: the timeline and the numbers the benchmark compares.

    .. versionadded:: 0.1
    """

    timeline: list[TimelineEntry] = field(default_factory=list)
    arrived: dict[int, float] = field(default_factory=dict)
    merged: dict[int, float] = field(default_factory=dict)
    ejected: dict[int, str] = field(default_factory=dict)
    broken: frozenset[int] = frozenset()
    builds: int = 0
    ci_seconds: float = 0.0
    useful_ci_seconds: float = 0.0
    broken_main: int = 0
    end: float = 0.0

    @property
    def wasted_ci_seconds(self) -> float:
        """CI time spent on builds that did not land (failed, cancelled, superseded).

        .. versionadded:: 0.1
        """
        return self.ci_seconds - self.useful_ci_seconds

    def time_to_merge(self) -> list[float]:
        """Seconds from arrival to merge, per merged PR, in PR order.

        .. versionadded:: 0.1
        """
        return [self.merged[pr] - self.arrived[pr] for pr in sorted(self.merged)]


def format_time(seconds: float) -> str:
    """``H:MM:SS`` for a timeline.

    .. versionadded:: 0.1
    """
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _world(config: SimConfig) -> tuple[list[tuple[float, int]], SimulatedOutcomes]:
    rng = random.Random(config.seed)  # noqa: S311 - a reproducible simulation, not a secret
    now, arrivals = 0.0, []
    broken, conflicting = set(), set()
    for pr in range(1, config.prs + 1):
        if config.arrivals_per_hour:
            now += rng.expovariate(config.arrivals_per_hour / 3600)
        arrivals.append((now * config.arrival_scale, pr))
        if rng.random() < config.fail_rate:
            broken.add(pr)
        if rng.random() < config.conflict_rate:
            conflicting.add(pr)
    outcomes = SimulatedOutcomes(
        ci_duration=config.ci_duration,
        sigma=config.sigma,
        broken=frozenset(broken),
        conflicting=frozenset(conflicting),
        flake_rate=config.flake_rate,
    )
    return arrivals, outcomes


def simulate(config: SimConfig) -> SimResult:
    """Run *config* to the end (every PR merged or ejected) and report.

    .. versionadded:: 0.1
    """
    arrivals, outcomes = _world(config)
    options = StrategyOptions(depth=config.depth, concurrency=config.concurrency)
    run = _Run(make_strategy(config.strategy, options), outcomes, config.seed)
    run.result.broken = outcomes.broken
    arrivals.reverse()
    while True:
        due = run.executor.next_due()
        if arrivals and (due is None or arrivals[-1][0] <= due):
            now, pr = arrivals.pop()
            run.result.arrived[pr] = now
            run.send(Enqueue(pr, f"head{pr}"), now)
        elif due is not None:
            for event in run.executor.poll(due):
                run.send(event, due)
        else:
            return run.result


class _Run:
    def __init__(self, strategy: Strategy, outcomes: SimulatedOutcomes, seed: int) -> None:
        self.strategy = strategy
        self.executor = SimulatedExecutor(outcomes, seed)
        self.state = QueueState("main")
        self.result = SimResult()
        self.started: dict[str, tuple[float, StartBuild]] = {}
        self.took: dict[str, float] = {}
        self.cancelled: set[str] = set()

    def send(self, event: Event, now: float) -> None:
        if isinstance(event, BuildFinished) and event.build_id in self.cancelled:
            # Polled in the same instant as the result that cancelled it: a cancelled
            # build reports nothing (and its CI time was counted when it was cancelled).
            return
        self._note_event(event, now)
        self.state, actions = step(self.strategy, self.state, event)
        for action in actions:
            self._perform(action, now)
        self.result.end = max(self.result.end, now)

    def _log(self, now: float, kind: str, text: str) -> None:
        self.result.timeline.append(TimelineEntry(now, kind, text))

    def _note_event(self, event: Event, now: float) -> None:
        if isinstance(event, Enqueue):
            self._log(now, "enqueue", f"#{event.pr} enqueued")
        elif isinstance(event, BuildFinished) and event.build_id in self.started:
            start, build = self.started[event.build_id]
            self.took[build.build_id] = now - start
            self.result.ci_seconds += now - start
            what = self._chain(build)
            self._log(now, event.outcome, f"{build.build_id} {event.outcome}: {what}")

    def _perform(self, action: Action, now: float) -> None:
        if isinstance(action, StartBuild):
            self.executor.start(Job.of(action), now)
            self.started[action.build_id] = (now, action)
            self.result.builds += 1
            self._log(now, "start", f"{action.build_id} started: {self._chain(action)}")
        elif isinstance(action, CancelBuild):
            self.executor.cancel(action.build_id)
            self.cancelled.add(action.build_id)
            start, _ = self.started[action.build_id]
            self.result.ci_seconds += now - start
            self._log(now, "cancel", f"{action.build_id} cancelled")
        elif isinstance(action, Merge):
            self._merged(action, now)
        elif isinstance(action, Eject):
            self.result.ejected[action.pr] = action.reason
            self._log(now, "eject", f"#{action.pr} ejected: {action.reason}")

    def _merged(self, action: Merge, now: float) -> None:
        self.result.useful_ci_seconds += self.took[action.build_id]
        for pr, _ in action.prs:
            self.result.merged[pr] = now
        if any(pr in self.result.broken for pr, _ in action.prs):
            self.result.broken_main += 1
        prs = " ".join(f"#{pr}" for pr, _ in action.prs)
        self._log(now, "merge", f"{prs} merged (tested in {action.build_id})")

    def _chain(self, build: StartBuild) -> str:
        # Builds carry the whole chain from the first base; show what is not merged yet.
        return "main + " + " + ".join(
            f"#{pr}" for pr, _ in build.prs if pr not in self.result.merged
        )
