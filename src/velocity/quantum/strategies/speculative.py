"""Serial and speculative (fixed-depth) queues."""

from __future__ import annotations

from dataclasses import dataclass

from velocity.quantum import _queue as q
from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import QueueState
from velocity.quantum.strategies.protocol import TIERS

__all__ = ["SerialStrategy", "SpeculativeStrategy", "eject_head", "speculative_failure"]


def eject_head(state: QueueState, build: Build) -> tuple[QueueState, list[Action]]:
    pr = state.queue[0].pr
    reason = f"build {build.build_id} of {q.describe(build, len(state.landed))} failed"
    return q.eject(q.drop_build(state, build.build_id), pr, reason)


def speculative_failure(
    state: QueueState, length: int, build: Build
) -> tuple[QueueState, list[Action]]:
    # A longer build failing blames its last PR only once the shorter ones pass.
    return eject_head(state, build) if length == 1 else (state, [])


@dataclass(frozen=True)
class SpeculativeStrategy:
    """Build base+P1, base+P1+P2, ... up to *depth* at once; a failure ejects its PR.

    .. versionadded:: 0.1
    """

    depth: int = TIERS["free"]
    concurrency: int = TIERS["free"]
    name: str = "speculative"

    def plan(self, state: QueueState) -> list[tuple[int, ...]]:
        return q.prefixes(state, self.depth)

    def on_failure(
        self, state: QueueState, length: int, build: Build
    ) -> tuple[QueueState, list[Action]]:
        return speculative_failure(state, length, build)


def SerialStrategy() -> SpeculativeStrategy:  # reads as a class at call sites
    """One build at a time, one PR per build.

    .. versionadded:: 0.1
    """
    return SpeculativeStrategy(depth=1, concurrency=1, name="serial")
