"""A seeded, virtual-clock executor: the simulator's and the benchmark's CI."""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from dataclasses import field

from velocity.quantum.codec import Job
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Event
from velocity.quantum.model import Outcome

__all__ = ["SimulatedExecutor", "SimulatedOutcomes"]


@dataclass(frozen=True)
class SimulatedOutcomes:
    """What the simulated CI does.

    :param ci_duration: median build time in seconds.
    :param sigma: lognormal spread of build times (0 = every build takes the median).
    :param broken: PRs whose code fails CI; any build containing one fails.
    :param conflicting: PRs that conflict textually with any PR ahead of them.
    :param flake_rate: chance that a build fails for no reason.

    .. versionadded:: 0.1
    """

    ci_duration: float = 1200.0
    sigma: float = 0.0
    broken: frozenset[int] = field(default_factory=frozenset)
    conflicting: frozenset[int] = field(default_factory=frozenset)
    flake_rate: float = 0.0


class SimulatedExecutor:
    """Builds that finish on a virtual clock with seeded durations and outcomes.

    .. versionadded:: 0.1
    """

    def __init__(self, outcomes: SimulatedOutcomes, seed: int = 0) -> None:
        self.outcomes = outcomes
        self._rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
        self._due: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._cancelled: set[str] = set()

    def start(self, job: Job, now: float) -> None:
        event = self._conflict(job) or BuildFinished(job.build_id, self._outcome(job))
        delay = 0.0 if isinstance(event, Conflicted) else self._duration()
        heapq.heappush(self._due, (now + delay, self._seq, event))
        self._seq += 1

    def _conflict(self, job: Job) -> Conflicted | None:
        for index, (pr, _) in enumerate(job.prs):
            if index and pr in self.outcomes.conflicting:
                return Conflicted(pr, (f"src/pr{pr}.py",))
        return None

    def _outcome(self, job: Job) -> Outcome:
        if any(pr in self.outcomes.broken for pr, _ in job.prs):
            return "fail"
        return "fail" if self._rng.random() < self.outcomes.flake_rate else "pass"

    def _duration(self) -> float:
        sigma = self.outcomes.sigma
        factor = math.exp(self._rng.gauss(0.0, sigma)) if sigma else 1.0
        return self.outcomes.ci_duration * factor

    def cancel(self, build_id: str) -> None:
        self._cancelled.add(build_id)

    def next_due(self) -> float | None:
        """When the next result comes in, or ``None`` when nothing runs.

        .. versionadded:: 0.1
        """
        while self._due and self._void(self._due[0][2]):
            heapq.heappop(self._due)
        return self._due[0][0] if self._due else None

    def _void(self, event: Event) -> bool:
        return isinstance(event, BuildFinished) and event.build_id in self._cancelled

    def poll(self, now: float) -> list[Event]:
        out: list[Event] = []
        while self._due and self._due[0][0] <= now:
            _, _, event = heapq.heappop(self._due)
            if not self._void(event):
                out.append(event)
        return out
