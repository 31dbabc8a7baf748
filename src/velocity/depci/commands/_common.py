# Shared by the subcommands: repo-relative paths and the human / JSON views of a selection.
from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.core.errors import UsageError
from velocity.depci.cache import CacheStats
from velocity.depci.engine import Analysis
from velocity.depci.engine import build_graph
from velocity.depci.selection import Selection
from velocity.depci.selection import select


def to_repo_path(root: Path, name: str) -> str:
    full = Path(os.path.abspath(name))
    try:
        rel = full.relative_to(root)
    except ValueError:
        try:
            rel = full.resolve().relative_to(root)
        except ValueError:
            raise UsageError(f"file outside the repository: {name}") from None
    if not rel.parts:
        raise UsageError(f"not a file: {name}")
    return rel.as_posix()


def select_changed(
    root: Path, changed: Sequence[str], use_cache: bool
) -> tuple[Analysis | None, Selection]:
    if not changed:
        # Nothing changed selects nothing: skip listing, hashing and loading the cache.
        return None, Selection([])
    missing = [c for c in changed if not (root / c).exists()]
    analysis = build_graph(root, missing=missing, check=changed, use_cache=use_cache)
    return analysis, select(analysis, changed)


def show(
    analysis: Analysis | None, sel: Selection, tests_only: bool, as_json: bool, **extra: Any
) -> int:
    if as_json:
        stats = dataclasses.asdict(analysis.stats if analysis else CacheStats())
        errors = analysis.errors if analysis else {}
        emit_json({**extra, **sel.to_json(), "errors": errors, "stats": stats})
        return 0
    for reason in sel.reasons:
        click.echo(f"run everything: {reason}", err=True)
    lines = sel.tests if tests_only else sel.affected
    if lines:  # one write: click.echo costs a few microseconds per call
        click.echo("\n".join(lines))
    what = "tests" if tests_only else "affected files"
    count = len(sel.tests if tests_only else sel.affected)
    click.echo(f"{count} {what} from {len(sel.changed)} changed files", err=True)
    return 0
