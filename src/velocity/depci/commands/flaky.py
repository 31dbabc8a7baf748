"""``dep-ci flaky report [--json]``: flake rate and last sighting of every flaky test."""

from __future__ import annotations

from pathlib import Path

import click

from velocity.core.cli import emit_json
from velocity.depci.history import flaky_stats

__all__ = ["flaky"]


def flaky(root: Path, *, as_json: bool) -> int:
    """Print the tests the history saw fail and then pass, flakiest first.

    .. versionadded:: 0.1
    """
    rows = flaky_stats(root)
    if as_json:
        emit_json({"flaky": rows})
        return 0
    if not rows:
        click.echo("no flaky tests recorded")
        return 0
    click.echo(f"{'rate':>6}  {'flaky':>5}  {'runs':>5}  {'last seen':<25}  test")
    for row in rows:
        rate, seen = f"{row['flake_rate']:.0%}", row["last_seen"]
        click.echo(f"{rate:>6}  {row['flaky']:>5}  {row['runs']:>5}  {seen:<25}  {row['nodeid']}")
    return 0
