"""The store interface every backend implements, and the registry of backends."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from velocity.core.errors import VelocityError
from velocity.quantum.codec import Job
from velocity.quantum.model import Action
from velocity.quantum.model import FinalState
from velocity.quantum.model import QueueState

__all__ = ["BACKENDS", "Claim", "FinalRecord", "Store", "StoreError", "Transition", "open_store"]

Transition = Callable[[QueueState], tuple[QueueState, list[Action]]]
"""A pure step applied atomically: usually ``lambda s: step(strategy, s, event)``."""


class StoreError(VelocityError):
    """The store is missing, of another schema version, or unreachable.

    .. versionadded:: 0.1
    """


@dataclass(frozen=True)
class Claim:
    """A job a worker took: acknowledge it with :meth:`Store.ack` by *claim_id*.

    .. versionadded:: 0.1
    """

    claim_id: str
    job: Job
    attempts: int = 1
    """How many times the job was handed out, this time included (a reclaim adds one).

    .. versionadded:: 0.2
    """


@dataclass(frozen=True)
class FinalRecord:
    """A final state pull request *pr* reached, as the store recorded it.

    .. versionadded:: 0.2
    """

    pr: int
    final: FinalState
    reason: str | None = None
    """Why, as the scheduler told the PR's author (an ``Eject`` reason, the build a merge
    was tested in, ...); ``None`` in a record written before stores kept reasons."""
    at: float | None = None
    """When the transition that reached it was stored: seconds since the epoch."""
    sha: str | None = None
    """The head commit *pr* had; for a merge, the commit of *pr* that landed."""


class Store(Protocol):
    """Queue state plus a build-job queue, changed only through atomic transitions.

    .. versionadded:: 0.1
    """

    def init(self, base_sha: str) -> None:
        """Create an empty queue on *base_sha* unless one exists."""

    def load(self) -> QueueState:
        """The current state; raises StoreError before :meth:`init`."""

    def transition(self, fn: Transition) -> tuple[QueueState, list[Action]]:
        """Apply *fn* atomically; ``StartBuild`` actions become jobs, ``CancelBuild`` voids them.

        Concurrent transitions serialise: none is lost, none sees a half-written state.
        """

    def claim(self, worker: str) -> Claim | None:
        """Take the oldest unclaimed live job for *worker*, or ``None``."""

    def ack(self, claim: Claim) -> None:
        """The job is done (its result was sent as an event)."""

    def reclaim(self, worker: str, min_idle_ms: int) -> list[Claim]:
        """Move unacknowledged jobs idle at least *min_idle_ms* (a crashed worker's) to *worker*."""

    def is_cancelled(self, build_id: str) -> bool:
        """Whether the scheduler cancelled *build_id* (a worker may stop early)."""

    def history(self, pr: int | None = None) -> list[FinalRecord]:
        """Every final state ever reached (of *pr* only, if given), oldest first, with its reason.

        .. versionadded:: 0.2
        """

    def close(self) -> None:
        """Release connections."""


BACKENDS: dict[str, str] = {
    "sqlite": "velocity.quantum.store.sqlite:SQLiteStore",
    "redis": "velocity.quantum.store.redis:RedisStore",
}
"""Backend name -> ``module:Class`` taking one location argument (a path or a URL)."""


def open_store(backend: str, location: str) -> Store:
    """Open the *backend* store at *location* (a SQLite path, a ``redis://`` URL).

    .. versionadded:: 0.1
    """
    if backend not in BACKENDS:
        raise StoreError(f"unknown store backend {backend!r} (choose from {', '.join(BACKENDS)})")
    module, _, name = BACKENDS[backend].partition(":")
    cls: Callable[[str], Store] = getattr(importlib.import_module(module), name)
    return cls(location)
