"""``livepatch sync SRC TARGET``: push what changed in SRC to TARGET as one atomic batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._sync import SyncResult
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import parse_target

__all__ = ["sync"]


def sync(
    src: Path, target_url: str, options: ConnectOptions, state_dir: Path, as_json: bool
) -> int:
    """Sync *src* to *target_url* once and report what was sent; returns the exit code.

    .. versionadded:: 0.1
    """
    target = parse_target(target_url)
    with Syncer(src, target, options, state_dir) as syncer:
        result = syncer.sync()
    if as_json:
        emit_json(_as_dict(result))
        return 0
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.counts.items())) or "nothing to do"
    click.echo(
        f"{result.target}: {result.changed} changes ({kinds}) in {result.seconds * 1000:.0f} ms, "
        f"{result.bytes_sent} bytes sent"
    )
    for path in result.skipped_links:
        click.echo(f"skipped symlink {path!r}: it points outside the tree", err=True)
    return 0


def _as_dict(result: SyncResult) -> dict[str, Any]:
    return {
        "target": result.target,
        "changed": result.changed,
        "counts": result.counts,
        "manifest_exchanged": result.manifest_exchanged,
        "skipped_links": result.skipped_links,
        "bytes_sent": result.bytes_sent,
        "bytes_received": result.bytes_received,
        "seconds": round(result.seconds, 4),
    }
