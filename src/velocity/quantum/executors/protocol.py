"""The executor interface: simulated, local and (in github_app) GitHub executors implement it."""

from __future__ import annotations

from typing import Protocol

from velocity.quantum.codec import Job
from velocity.quantum.model import Event

__all__ = ["EXECUTORS", "Executor"]


class Executor(Protocol):
    """Runs speculative builds and reports what happened as scheduler events.

    Results come back as :class:`~velocity.quantum.model.BuildFinished` (the
    build ran) or :class:`~velocity.quantum.model.Conflicted` (it could not be
    merged, so nothing ran).

    .. versionadded:: 0.1
    """

    def start(self, job: Job, now: float) -> None:
        """Begin *job* at time *now* (seconds, the driver's clock)."""

    def cancel(self, build_id: str) -> None:
        """Stop *build_id* if it runs; its result will not be reported."""

    def poll(self, now: float) -> list[Event]:
        """Results that are in by time *now*, each reported once."""


EXECUTORS: dict[str, str] = {
    "simulated": "velocity.quantum.executors.simulated:SimulatedExecutor",
    "local": "velocity.quantum.executors.local:LocalExecutor",
}
"""Executor name -> ``module:Class``."""
