"""The strategy interface and its options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from typing import runtime_checkable

from velocity.quantum.model import Action
from velocity.quantum.model import Build
from velocity.quantum.model import QueueState

__all__ = ["TIERS", "Eager", "Strategy", "StrategyOptions"]

TIERS: dict[str, int] = {"free": 1, "team": 3, "enterprise": 8}
"""Default speculative depth per plan tier; ``free`` builds one PR at a time."""


class Strategy(Protocol):
    """What a queue strategy decides; everything else is the scheduler's.

    .. versionadded:: 0.1
    """

    @property
    def name(self) -> str:
        """The registry name."""

    @property
    def concurrency(self) -> int:
        """Most builds running at once."""

    def plan(self, state: QueueState) -> list[tuple[int, ...]]:
        """The builds there should be, most important first.

        Each is the queued PR numbers to merge onto the base, in queue order:
        usually a prefix of the queue; a build that skips a PR lands only once
        the skipped PR is ejected. A chain listed twice asks for a second
        build of it, next to one that failed.
        """

    def on_failure(
        self, state: QueueState, length: int, build: Build
    ) -> tuple[QueueState, list[Action]]:
        """React to *build* (covering the first *length* queued PRs) failing.

        Called only when no shorter build is still running. Return *state*
        unchanged to wait for more evidence.
        """


@runtime_checkable
class Eager(Protocol):
    """Optional: a strategy that acts before the head of the queue decides.

    The scheduler lands the longest passing build even while shorter ones
    still run or have failed (it tested exactly what lands), and lets
    :meth:`triage` eject queued PRs the evidence already condemns wherever
    they stand.

    .. versionadded:: 0.3
    """

    def triage(self, state: QueueState) -> tuple[QueueState, list[Action]]:
        """Eject what the finished builds condemn; return *state* unchanged if nothing."""


@dataclass(frozen=True)
class StrategyOptions:
    """Knobs the registry's factories read; ``None`` means the strategy's default.

    .. versionadded:: 0.1
    """

    depth: int | None = None
    concurrency: int | None = None
    batch_size: int | None = None
