"""``dep-ci graph --format json|dot``: the whole dependency graph."""

from __future__ import annotations

from pathlib import Path

import click

from velocity.core.cli import emit_json
from velocity.depci.engine import build_graph

__all__ = ["graph"]


def graph(root: Path, fmt: str, *, use_cache: bool = True) -> int:
    """Print the graph as JSON (nodes, edges) or Graphviz dot.

    .. versionadded:: 0.1
    """
    analysis = build_graph(root, use_cache=use_cache)
    if fmt == "dot":
        click.echo(analysis.graph.to_dot(), nl=False)
    else:
        emit_json({**analysis.graph.to_json(), "errors": analysis.errors, "tests": analysis.tests})
    return 0
