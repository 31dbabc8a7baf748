"""Flake-aware queues: hold a failure until the builds behind it tell a flake from a break."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from velocity.quantum import _queue as q
from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import PostStatus
from velocity.quantum.model import QueueState
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
    """

    depth: int = 3
    concurrency: int = 3
    confirm_alone: bool = False
    name: str = "flake-aware"

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
    """Ours: flake-aware, and spare slots build the queue without each suspect.

    A PR whose build failed (even before it can be blamed, while a shorter
    build still runs) is a suspect; spare slots then build the queue as if the
    suspect were ejected, so an ejection promotes those builds instead of
    restarting everything behind it.

    .. versionadded:: 0.1
    """

    depth: int = 8
    concurrency: int = 8
    name: str = "quantum"

    def plan(self, state: QueueState) -> list[tuple[int, ...]]:
        wanted = q.prefixes(state, self.depth)
        for length, build in sorted(q.valid_by_length(state).items()):
            if build.status == "failed":
                wanted += _without(state, length - 1, self.depth)
        return wanted


def _without(state: QueueState, index: int, depth: int) -> list[tuple[int, ...]]:
    # Chains that skip the suspect at *index*, shortest first.
    ahead = q.prefix(state, index)
    behind = [e.pr for e in state.queue[index + 1 : index + 1 + depth - index]]
    return [ahead + tuple(behind[:k]) for k in range(1, len(behind) + 1)]
