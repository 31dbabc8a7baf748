"""The supervised side of a target: reload outcomes, rollback on demand, and live logs.

A target's agent may supervise the app (``livepatch-agent run``). Then every batch reply
says how the reload went, :func:`rollback` undoes the last batch and reloads, and
:func:`stream_logs` reads the app's output and the agent's events. Without a supervisor
the reload is reported as ``none (no supervisor)``, rollback still restores the files, and
logs fail with a message that says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from velocity.core.errors import VelocityError
from velocity.livepatch.client._channel import Channel
from velocity.livepatch.client._results import LogEvent
from velocity.livepatch.client._results import RollbackResult
from velocity.livepatch.client._results import rollback_from_pb
from velocity.livepatch.client._sync import AgentError
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import connect
from velocity.livepatch.client._targets import parse_target
from velocity.livepatch.proto import pb

__all__ = ["rollback", "stream_logs"]


def rollback(target: str, *, options: ConnectOptions | None = None) -> RollbackResult:
    """Undo the last batch applied to *target* (exactly its files), then reload the app.

    :raises VelocityError: the target is unreachable or refused.

    .. versionadded:: 0.2
    """
    parsed = parse_target(target)
    channel = connect(parsed, options or ConnectOptions())
    try:
        response = channel.call(pb.Request(rollback=pb.RollbackRequest()))
    finally:
        channel.close()
    if response.WhichOneof("body") == "error":
        raise AgentError(parsed.url, response.error)
    return rollback_from_pb(parsed.url, response.rollback)


def stream_logs(
    target: str,
    *,
    follow: bool,
    options: ConnectOptions | None = None,
    lines: int = 200,
    stop: threading.Event | None = None,
) -> Iterator[LogEvent]:
    """The supervised app's recent output and events, then (with *follow*) new ones as they come.

    Closing the iterator (``break``, ``.close()``) ends the stream and the connection.

    :param lines: how much history comes first (0: all the agent keeps).
    :param stop: when set (from another thread), the stream ends within about a second,
        even if the app prints nothing.
    :raises VelocityError: the target is unreachable, or no supervisor runs there.

    .. versionadded:: 0.2
    """
    parsed = parse_target(target)
    channel = connect(parsed, options or ConnectOptions())
    try:
        request = pb.LogsRequest(follow=follow, lines=lines)
        yield from _records(channel, parsed.url, request, stop or threading.Event())
    finally:
        channel.close()


def _records(
    channel: Channel, url: str, request: pb.LogsRequest, stop: threading.Event
) -> Iterator[LogEvent]:
    stream = getattr(channel, "stream", None)
    if stream is None:
        raise VelocityError(f"{url}: this carrier cannot stream logs")
    for response in stream(pb.Request(logs=request)):
        if response.WhichOneof("body") == "error":
            raise AgentError(url, response.error)
        record = response.log
        if record.end or stop.is_set():
            return
        if record.stream:  # an empty one only keeps an idle stream alive
            yield LogEvent(record.time, record.stream, record.text, record.kind or None)
