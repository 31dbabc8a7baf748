"""The scheduler's vocabulary: events in, actions out, and the queue state between.

Everything here is a frozen dataclass, so a state can be hashed, compared,
stored and replayed; time only ever arrives inside an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Literal

__all__ = [
    "HISTORY",
    "Action",
    "BaseAdvanced",
    "BaseMoved",
    "Build",
    "BuildFinished",
    "BuildStatus",
    "CancelBuild",
    "Conflicted",
    "Dequeue",
    "Eject",
    "Enqueue",
    "Entry",
    "Event",
    "FinalState",
    "Merge",
    "Outcome",
    "PRHead",
    "PRUpdated",
    "PostStatus",
    "QueueState",
    "StartBuild",
    "Timeout",
]

HISTORY = 1000
"""Final states a :class:`QueueState` keeps; the store keeps every one.

.. versionadded:: 0.2
"""

PRHead = tuple[int, str]
"""A pull request number and the head SHA it was queued (or built) with."""

Outcome = Literal["pass", "fail", "error"]
BuildStatus = Literal["running", "passed", "failed"]
FinalState = Literal["merged", "ejected", "dequeued"]


@dataclass(frozen=True)
class Enqueue:
    """Add *pr* at *head_sha*; higher *priority* goes first, ties keep arrival order.

    .. versionadded:: 0.1
    """

    pr: int
    head_sha: str
    priority: int = 0


@dataclass(frozen=True)
class Dequeue:
    """Take *pr* out of the queue (the author or a maintainer asked).

    .. versionadded:: 0.1
    """

    pr: int


@dataclass(frozen=True)
class PRUpdated:
    """*pr* got new commits: builds of its old head are void.

    .. versionadded:: 0.1
    """

    pr: int
    new_head_sha: str


@dataclass(frozen=True)
class BuildFinished:
    """CI reported on *build_id*: ``pass``, ``fail`` (the code) or ``error`` (the CI).

    .. versionadded:: 0.1
    """

    build_id: str
    outcome: Outcome


@dataclass(frozen=True)
class BaseMoved:
    """Someone pushed to the base branch outside the queue: every build is stale.

    .. versionadded:: 0.1
    """

    new_sha: str


@dataclass(frozen=True)
class Timeout:
    """*build_id* ran too long; treated like a CI error.

    .. versionadded:: 0.1
    """

    build_id: str


@dataclass(frozen=True)
class Conflicted:
    """*pr* does not merge onto the PRs ahead of it: *files* conflict (found before CI).

    .. versionadded:: 0.1
    """

    pr: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class BaseAdvanced:
    """``old_sha + landed`` is now known as the commit *new_sha* (the queue's own merges).

    Lets a driver shorten the landed chain once the base branch points at it;
    builds on that chain carry over (unlike :class:`BaseMoved`).

    .. versionadded:: 0.1
    """

    old_sha: str
    landed: tuple[PRHead, ...]
    new_sha: str


Event = (
    Enqueue | Dequeue | PRUpdated | BuildFinished | BaseMoved | BaseAdvanced | Timeout | Conflicted
)


@dataclass(frozen=True)
class StartBuild:
    """Build and test ``base_sha + prs[0] + ... + prs[-1]``, merged in that order.

    .. versionadded:: 0.1
    """

    build_id: str
    base_sha: str
    prs: tuple[PRHead, ...]


@dataclass(frozen=True)
class CancelBuild:
    """Stop *build_id*; its result no longer matters.

    .. versionadded:: 0.1
    """

    build_id: str


@dataclass(frozen=True)
class Merge:
    """Fast-forward the base to the commit *build_id* tested, landing *prs*.

    .. versionadded:: 0.1
    """

    build_id: str
    prs: tuple[PRHead, ...]


@dataclass(frozen=True)
class Eject:
    """Remove *pr* from the queue for *reason* (shown to its author).

    .. versionadded:: 0.1
    """

    pr: int
    reason: str


@dataclass(frozen=True)
class PostStatus:
    """Report *state* (``pending``, ``success``, ``failure``, ``error``) on *pr*.

    .. versionadded:: 0.1
    """

    pr: int
    state: str
    description: str


Action = StartBuild | CancelBuild | Merge | Eject | PostStatus


@dataclass(frozen=True)
class Entry:
    """One queued pull request.

    .. versionadded:: 0.1
    """

    pr: int
    head_sha: str
    priority: int = 0
    seq: int = 0
    retries: int = 0
    errors: int = 0
    confirm: bool = False
    """Nothing behind this PR merges until a build ending with it passes."""

    @property
    def head(self) -> PRHead:
        return (self.pr, self.head_sha)


@dataclass(frozen=True)
class Build:
    """A build the scheduler started and has not forgotten yet.

    .. versionadded:: 0.1
    """

    build_id: str
    base_sha: str
    prs: tuple[PRHead, ...]
    status: BuildStatus = "running"
    landed_at: int = 0
    """How many of ``prs`` had already landed when it started (they need no re-check)."""
    epoch: int = 0


@dataclass(frozen=True)
class QueueState:
    """The whole queue: base, landed chain, ordered entries, live builds, final states.

    ``landed`` are the pull requests merged on top of ``base_sha`` since it was
    last set (by :class:`BaseMoved` or :class:`BaseAdvanced`), so the base
    branch is ``base_sha + landed``; builds carry the full chain from
    ``base_sha``, which makes "exactly what lands" checkable. ``finished`` keeps
    the last :data:`HISTORY` final states (what refuses a second merge of a PR);
    stores keep them all, and ``finished_total`` counts every one ever reached.

    .. versionadded:: 0.1
    """

    base_sha: str
    landed: tuple[PRHead, ...] = ()
    queue: tuple[Entry, ...] = ()
    builds: tuple[Build, ...] = ()
    finished: tuple[tuple[int, FinalState], ...] = ()
    next_seq: int = 0
    next_build: int = 1
    bisect: tuple[int, int] = field(default=(0, 0))
    epoch: int = 0
    """Bumped when the base moves, so no build outlives a reset of ``landed``."""
    finished_total: int = 0
    """Final states ever reached (``finished`` holds only the last :data:`HISTORY`).

    .. versionadded:: 0.2
    """

    def final_state(self, pr: int) -> FinalState | None:
        """The last final state *pr* reached, or ``None``.

        .. versionadded:: 0.1
        """
        for number, final in reversed(self.finished):
            if number == pr:
                return final
        return None

    def running(self) -> tuple[Build, ...]:
        """Builds still waiting for CI.

        .. versionadded:: 0.1
        """
        return tuple(b for b in self.builds if b.status == "running")
