"""What the supervised side of a target reports: log events, reloads, rollbacks."""

from __future__ import annotations

from dataclasses import dataclass

from velocity.livepatch.proto import pb
from velocity.livepatch.reloaders import ReloadOutcome

__all__ = ["LogEvent", "RollbackResult", "outcome_from_pb", "rollback_from_pb"]


@dataclass(frozen=True)
class LogEvent:
    """One line of the supervised app's output, or one agent event.

    :param time: seconds since the epoch, as the agent saw it.
    :param stream: ``"stdout"``, ``"stderr"`` or ``"event"``.
    :param text: the line (without its newline), or the event's description.
    :param kind: for events, ``"started"``, ``"exited"``, ``"applied"``, ``"reloaded"`` or
        ``"rolled_back"``; ``None`` for output lines.

    .. versionadded:: 0.2
    """

    time: float
    stream: str
    text: str
    kind: str | None = None


@dataclass(frozen=True)
class RollbackResult:
    """What a rollback did (on demand, or after a failed health check).

    :param rolled_back: whether files were restored.
    :param reason: why it happened, or why nothing was done.
    :param paths: the files restored, deleted again or recreated.
    :param reload: how the app was reloaded afterwards (``None`` if nothing was rolled back).

    .. versionadded:: 0.2
    """

    target: str
    rolled_back: bool
    reason: str
    paths: tuple[str, ...] = ()
    reload: ReloadOutcome | None = None
    seconds: float = 0.0


def outcome_from_pb(result: pb.ReloadResult) -> ReloadOutcome:
    """The wire reload result as a :class:`~velocity.livepatch.reloaders.ReloadOutcome`.

    .. versionadded:: 0.2
    """
    strategy = result.strategy or "none"
    if not result.supervised:
        strategy = f"{strategy} (no supervisor)"
    return ReloadOutcome(strategy, result.ok, result.detail, result.seconds)


def rollback_from_pb(url: str, reply: pb.RollbackReply) -> RollbackResult:
    """The wire rollback reply as a :class:`RollbackResult`.

    .. versionadded:: 0.2
    """
    reload = outcome_from_pb(reply.reload) if reply.HasField("reload") else None
    return RollbackResult(
        url, reply.rolled_back, reply.reason, tuple(reply.paths), reload, reply.seconds
    )
