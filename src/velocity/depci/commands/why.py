"""``dep-ci why TEST CHANGED``: the import chain that makes a test depend on a file."""

from __future__ import annotations

from pathlib import Path

import click

from velocity.core.cli import emit_json
from velocity.depci.commands._common import to_repo_path
from velocity.depci.engine import build_graph

__all__ = ["why"]


def why(root: Path, test: str, changed: str, *, as_json: bool, use_cache: bool = True) -> int:
    """Print the shortest import chain from *test* to *changed*; exit 1 when there is none.

    .. versionadded:: 0.1
    """
    start, end = to_repo_path(root, test), to_repo_path(root, changed)
    missing = [p for p in (start, end) if not (root / p).exists()]
    chain = build_graph(root, missing=missing, use_cache=use_cache).graph.why(start, end)
    hops = [
        {"source": src, "target": e.target, "line": e.line, "spec": e.spec, "deep": e.deep}
        for src, e in chain or []
    ]
    if as_json:
        emit_json({"test": start, "changed": end, "reachable": chain is not None, "chain": hops})
    elif chain is None:
        click.echo(f"{start} does not depend on {end}")
    else:
        click.echo(start)
        for hop in hops:
            via = "conftest.py above it" if hop["spec"] == "conftest" else repr(hop["spec"])
            click.echo(f"  -> {hop['target']}  ({hop['source']}:{hop['line']} imports {via})")
    return 0 if chain is not None else 1
