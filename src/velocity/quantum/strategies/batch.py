"""bors-style batching with bisection."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from velocity.quantum import _queue as q
from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import QueueState
from velocity.quantum.strategies.speculative import eject_head

__all__ = ["BatchStrategy"]


@dataclass(frozen=True)
class BatchStrategy:
    """bors-style: test up to *batch_size* PRs in one build; bisect a failed batch.

    .. versionadded:: 0.1
    """

    batch_size: int = 4
    concurrency: int = 1
    name: str = "batch"

    def plan(self, state: QueueState) -> list[tuple[int, ...]]:
        running = [n for n, b in q.valid_by_length(state).items() if b.status == "running"]
        if running:  # one batch at a time: PRs arriving meanwhile wait for the next
            return [q.prefix(state, running[0])]
        cap, _ = state.bisect
        return [q.prefix(state, cap or self.batch_size)]

    def on_failure(
        self, state: QueueState, length: int, build: Build
    ) -> tuple[QueueState, list[Action]]:
        if length == 1:
            state, actions = eject_head(state, build)
            return replace(state, bisect=(0, 0)), actions
        state = q.drop_build(state, build.build_id)
        return replace(state, bisect=(max(1, length // 2), length)), []
