"""Flake-aware queues: hold a failure until the builds behind it tell a flake from a break."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from velocity.quantum import _queue as q
from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import PostStatus
from velocity.quantum.model import QueueState
from velocity.quantum.strategies import _tree
from velocity.quantum.strategies.speculative import eject_head
from velocity.quantum.strategies.speculative import speculative_failure

__all__ = ["FlakeAwareStrategy", "QuantumStrategy"]


@dataclass(frozen=True)
class FlakeAwareStrategy:
    """Speculative, but a failed PR whose successors pass is retried before ejection.

    A failure at the head is held while the builds behind it (which contain it)
    run, and the first of them to finish decides. If it passes, the PR was
    tested again and passed: by default it lands with that build, which tested
    exactly what lands; with *confirm_alone* it is rebuilt alone first. If it
    fails, the PR is ejected. With no build behind it, it is rebuilt once.

    .. versionadded:: 0.1
    .. versionchanged:: 0.4
       *keep_failed*.
    """

    depth: int = 3
    concurrency: int = 3
    confirm_alone: bool = False
    name: str = "flake-aware"
    keep_failed: bool = False
    """Keep the failed build as evidence while retrying (the retry is then a second build)."""

    def plan(self, state: QueueState) -> list[tuple[int, ...]]:
        return q.prefixes(state, self.depth)

    def on_failure(
        self, state: QueueState, length: int, build: Build
    ) -> tuple[QueueState, list[Action]]:
        head = state.queue[0]
        if length > 1 or head.retries:
            return speculative_failure(state, length, build)
        # The first successor (a build containing this PR) to finish decides.
        results = {b.status for n, b in q.valid_by_length(state).items() if n > 1}
        if "passed" not in results and "failed" in results:
            return eject_head(state, build)
        if results == {"running"}:
            return state, []  # hold: the successors will tell a flake from a break
        successors = bool(results)
        confirm = self.confirm_alone or not successors
        retried = replace(head, retries=1, confirm=confirm)
        if not self.keep_failed:
            state = q.drop_build(state, build.build_id)
        state = replace(state, queue=(retried, *state.queue[1:]))
        if not successors:
            what = "failed with nothing behind it to tell: retrying once"
        elif confirm:
            what = "failed, but a later build with it passed: retrying alone"
        else:
            what = "failed, but a later build with it passed: landing with that build"
        return state, [PostStatus(head.pr, "pending", what)]


@dataclass(frozen=True)
class QuantumStrategy(FlakeAwareStrategy):
    """Ours: flake-aware, over a tree of speculative builds ranked by how likely each lands.

    Every queued PR carries a belief that it is good (*fail_prior*; certain once
    a build containing it passed; lowered by failed builds, with Bayes over which
    suspects broke them). Candidates are the queue prefixes and the prefixes that
    skip one or two PRs; each is scored by the chance it is exactly what lands
    its last PR, and the likeliest run, so idle slots build the queue without the
    PRs most likely to be ejected and an ejection promotes those builds instead
    of restarting everything behind it. Running builds are not preempted while
    they stay near the top; ones that fall out of it (doomed by a failure) are
    cancelled. The head is always built alone (only that build ejects it), and
    a failed head is not blamed for a later build's failure while that failure
    may be another PR's and a build with the head still runs.

    It is :class:`~velocity.quantum.strategies.Eager`: a passing build lands
    what it tested even while shorter builds still run, and a PR at least
    *eject_at* likely broken is ejected wherever it stands in the queue.

    A failed head being retried keeps its failed build (*keep_failed*): the
    retry is a second build of it alone, and until that one reports, the
    failure still counts against the PR, so the builds behind it are the
    queue without it rather than long chains that would fail with it.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       Ranked speculation tree; the *fail_prior*, *flake_prior*, *floor* and
       *lookahead* knobs.
    .. versionchanged:: 0.3
       Chains skipping two PRs, Bayesian beliefs, eager merges and *eject_at*.
    .. versionchanged:: 0.4
       A retried head keeps its failed build as evidence.
    """

    depth: int = 8
    concurrency: int = 8
    name: str = "quantum"
    keep_failed: bool = True
    fail_prior: float = 0.1
    """Share of PRs expected to be broken (a production driver would learn it)."""
    flake_prior: float = 0.05
    """Share of builds expected to fail for no reason."""
    floor: float = 0.02
    """Candidate builds less likely than this to land anything are not run."""
    lookahead: int = 16
    """Queued PRs considered for builds (at least *depth*)."""
    eject_at: float = 0.95
    """Eject a queued PR, wherever it stands, once it is at least this likely broken."""

    def plan(self, state: QueueState) -> list[tuple[int, ...]]:
        window = max(self.depth, self.lookahead)
        # Half again the slots: running builds just below the top keep going.
        limit = self.concurrency + self.concurrency // 2
        chains = _tree.plan(state, window, self.fail_prior, self.flake_prior, self.floor, limit)
        if state.queue and state.queue[0].retries and self._alone(state) == ["failed"]:
            # Retrying the head: a second build of it alone, the failed one stays as evidence.
            alone = (state.queue[0].pr,)
            if alone in chains:
                chains.insert(chains.index(alone) + 1, alone)
            else:  # pruned from the tree: the retry still comes first
                chains[:0] = [alone, alone]
        return chains

    def _alone(self, state: QueueState) -> list[str]:
        # Statuses of the builds of the head alone on the landed chain.
        alone = (state.queue[0].pr,)
        return [b.status for b in state.builds if q.tail_of(state, b) == alone]

    def on_failure(
        self, state: QueueState, length: int, build: Build
    ) -> tuple[QueueState, list[Action]]:
        # The flake-aware rule ejects a failed head once a build behind it fails too,
        # but that build may have failed for a PR behind the head: while the head is
        # not yet *eject_at* likely broken and a build with it still runs, wait for it.
        head = state.queue[0]
        if length == 1 and not head.retries and self._unsettled(state, head.pr):
            return state, []
        if length == 1 and head.retries and self._alone(state).count("failed") < 2:
            return state, []  # the failure that started the retry: wait for the retry
        return super().on_failure(state, length, build)

    def _unsettled(self, state: QueueState, pr: int) -> bool:
        if any(b.status == "passed" for n, b in q.valid_by_length(state).items() if n > 1):
            return False  # a build with it passed: the flake-aware rule lands it
        ok = _tree.beliefs(state, [pr], self.fail_prior, self.flake_prior)[0]
        running = (q.tail_of(state, b) or () for b in state.running())
        return 1 - ok < self.eject_at and any(pr in tail for tail in running)

    def triage(self, state: QueueState) -> tuple[QueueState, list[Action]]:
        """Eject every queued PR the finished builds make at least *eject_at* likely broken.

        .. versionadded:: 0.3
        """
        actions: list[Action] = []
        found = _tree.condemned(state, self.fail_prior, self.flake_prior, self.eject_at)
        for pr, build in found:
            what = f"{build.build_id} of {q.describe(build, len(state.landed))}"
            state, done = q.eject(state, pr, f"builds with it keep failing (last: {what})")
            actions += done
        return state, actions
