"""``livepatch logs TARGET [-f]``: the supervised app's output and the agent's events."""

from __future__ import annotations

import datetime as dt
import json

import click

from velocity.livepatch.client._live import stream_logs
from velocity.livepatch.client._results import LogEvent
from velocity.livepatch.client._targets import ConnectOptions

__all__ = ["logs"]


def logs(
    target_url: str, options: ConnectOptions, *, follow: bool, lines: int, as_json: bool
) -> int:
    """Print recent history (*lines* of it; 0 for all kept), then with *follow* new records
    until interrupted. With *as_json*, one JSON object a line.

    .. versionadded:: 0.2
    """
    for event in stream_logs(target_url, follow=follow, options=options, lines=lines):
        if as_json:
            emit_json_line(event)
        else:
            click.echo(format_event(event))
    return 0


def format_event(event: LogEvent) -> str:
    """``HH:MM:SS.mmm stream text``; events are marked with ``*``."""
    when = dt.datetime.fromtimestamp(event.time).strftime("%H:%M:%S.%f")[:-3]
    if event.stream == "event":
        return f"{when} * {event.kind}: {event.text}"
    return f"{when} {event.stream}: {event.text}"


def emit_json_line(event: LogEvent) -> None:
    record = {"time": event.time, "stream": event.stream, "text": event.text, "kind": event.kind}
    click.echo(json.dumps(record, sort_keys=True))
