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
from velocity.livepatch.reloaders import ReloadOutcome

__all__ = ["sync"]


def sync(
    src: Path, target_url: str, options: ConnectOptions, state_dir: Path, as_json: bool
) -> int:
    """Sync *src* to *target_url* once and report what was sent and how the app reloaded.

    :returns: 0, or 1 when the agent rolled the batch back (the app failed its check).

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 prints the reload outcome; exit 1 after a rollback.
    """
    target = parse_target(target_url)
    with Syncer(src, target, options, state_dir) as syncer:
        result = syncer.sync()
    if as_json:
        emit_json(_as_dict(result))
        return 1 if result.rollback is not None and result.rollback.rolled_back else 0
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.counts.items())) or "nothing to do"
    click.echo(
        f"{result.target}: {result.changed} changes ({kinds}) in {result.seconds * 1000:.0f} ms, "
        f"{result.bytes_sent} bytes sent"
    )
    for path in result.skipped_links:
        click.echo(f"skipped symlink {path!r}: it points outside the tree", err=True)
    if result.reload is not None:
        click.echo(describe_reload(result.reload))
    if result.rollback is not None and result.rollback.rolled_back:
        click.echo(
            f"ROLLED BACK {len(result.rollback.paths)} changes: {result.rollback.reason}",
            err=True,
        )
        if result.rollback.reload is not None:
            click.echo(describe_reload(result.rollback.reload), err=True)
        return 1
    return 0


def describe_reload(outcome: ReloadOutcome) -> str:
    """One line on a reload: ``reloaded: signal:HUP (pid 42) in 12 ms``, or why it failed."""
    took = f"{outcome.seconds * 1000:.0f} ms"
    if outcome.strategy.endswith("(no supervisor)"):
        return f"reload: {outcome.strategy}"
    if not outcome.ok:
        return f"reload FAILED: {outcome.strategy}: {outcome.detail} ({took})"
    return f"reloaded: {outcome.strategy} ({outcome.detail}) in {took}"


def reload_dict(outcome: ReloadOutcome) -> dict[str, Any]:
    return {
        "strategy": outcome.strategy,
        "ok": outcome.ok,
        "detail": outcome.detail,
        "seconds": round(outcome.seconds, 4),
    }


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
        "reload": None if result.reload is None else reload_dict(result.reload),
        "rolled_back": result.rollback is not None and result.rollback.rolled_back,
        "rollback_reason": None if result.rollback is None else result.rollback.reason,
    }
