"""``livepatch status TARGET``: is the target reachable, and does it hold what we last sent?"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.livepatch.client._plan import make_plan
from velocity.livepatch.client._scan import load_ignore
from velocity.livepatch.client._scan import scan
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import parse_target

__all__ = ["status"]


def status(
    target_url: str, options: ConnectOptions, state_dir: Path, src: Path | None, as_json: bool
) -> int:
    """Report on *target_url*; with *src*, also how many local changes are not sent yet.

    .. versionadded:: 0.1
    """
    target = parse_target(target_url)
    with Syncer(src or Path("."), target, options, state_dir) as syncer:
        state = syncer.state
        report: dict[str, Any] = {
            "target": target.url,
            "reachable": True,
            "in_sync_with_last_push": bool(state.token) and state.token == syncer.agent_token,
            "files_known": len(state.files),
            "last_sync": _when(state.synced_at),
        }
        if src is not None:
            ignored = load_ignore(src)
            report["pending_changes"] = len(make_plan(scan(src, ignored), state.files, ignored))
    if as_json:
        emit_json(report)
        return 0
    for key, value in report.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")
    return 0


def _when(timestamp: float) -> str | None:
    if not timestamp:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")
