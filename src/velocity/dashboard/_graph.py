"""Product A's view: the import graph of a repository, with changes and what they affect."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

from velocity.core.errors import VelocityError
from velocity.depci.changes import changed_files
from velocity.depci.changes import default_base
from velocity.depci.changes import repo_root
from velocity.depci.engine import build_graph
from velocity.depci.graph import Graph
from velocity.depci.selection import select

__all__ = ["GraphService", "GraphSnapshot", "NotFound"]

_CELL = 70  # px between neighbouring files in a directory block
_GAP = 120  # px between directory blocks


class NotFound(VelocityError):
    """A file the request named is not in the graph (the API answers 404)."""

    exit_code = 1


@dataclass
class GraphSnapshot:
    """One build of the graph, laid out and annotated; :meth:`to_json` is the API shape."""

    root: Path
    base: str
    graph: Graph
    tests: list[str]
    changed: list[str]
    affected: list[str]
    selected: list[str]
    run_all: bool
    reasons: list[str]
    errors: dict[str, str]
    seconds: float
    built_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        positions, groups = layout(sorted(self.graph.forward))
        changed, affected, tests = set(self.changed), set(self.affected), set(self.tests)
        nodes = [
            {
                "id": path,
                "x": x,
                "y": y,
                "test": path in tests,
                "changed": path in changed,
                "affected": path in affected,
                "error": self.errors.get(path),
            }
            for path, (x, y) in positions.items()
        ]
        edges = [
            {"source": src, "target": target, "deep": edge.deep, "line": edge.line}
            for src in sorted(self.graph.forward)
            for target, edge in sorted(self.graph.forward[src].items())
        ]
        return {
            "base": self.base,
            "nodes": nodes,
            "edges": edges,
            "groups": groups,
            "changed": self.changed,
            "affected": self.affected,
            "selected_tests": self.selected,
            "run_all": self.run_all,
            "reasons": self.reasons,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "built_at": self.built_at,
        }

    def why(self, test: str, changed: str | None) -> dict[str, Any]:
        """The shortest import chain from *test* to *changed* (or to the nearest change)."""
        for name in (test, changed):
            if name is not None and name not in self.graph:
                raise NotFound(f"not in the graph: {name}")
        targets = [changed] if changed is not None else self.changed
        best: tuple[str, list[Any]] | None = None
        for target in targets:
            chain = self.graph.why(test, target)
            if chain is not None and (best is None or len(chain) < len(best[1])):
                best = (target, chain)
        hops = [
            {"source": src, "target": e.target, "line": e.line, "spec": e.spec, "deep": e.deep}
            for src, e in (best[1] if best else [])
        ]
        reached = best[0] if best else changed
        return {"test": test, "changed": reached, "reachable": best is not None, "chain": hops}


def _natural(path: str) -> list[tuple[int, str]]:
    # mod2 before mod10, like a person would sort them.
    return [(int(p), "") if p.isdigit() else (0, p) for p in re.split(r"(\d+)", path)]


def layout(paths: list[str]) -> tuple[dict[str, tuple[int, int]], list[dict[str, Any]]]:
    """Preset positions: each directory a square block of its files, blocks packed in rows.

    Cheap and stable (a file keeps its place between builds), which a force layout of
    thousands of nodes in the browser is not.
    """
    by_dir: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        by_dir[str(PurePosixPath(path).parent)].append(path)
    sizes = {d: math.ceil(math.sqrt(len(files))) for d, files in by_dir.items()}
    area = sum((s * _CELL + _GAP) ** 2 for s in sizes.values())
    width = max(math.sqrt(area) * 1.3, _CELL * 4)
    positions: dict[str, tuple[int, int]] = {}
    groups: list[dict[str, Any]] = []
    x = y = row_height = 0
    for directory in sorted(by_dir, key=_natural):
        cols = sizes[directory]
        rows = math.ceil(len(by_dir[directory]) / cols)
        if x > 0 and x + cols * _CELL > width:
            x, y, row_height = 0, y + row_height + _GAP, 0
        groups.append({"label": directory if directory != "." else "(top level)", "x": x, "y": y})
        for index, path in enumerate(sorted(by_dir[directory], key=_natural)):
            positions[path] = (x + (index % cols) * _CELL, y + 40 + (index // cols) * _CELL)
        x += cols * _CELL + _GAP
        row_height = max(row_height, rows * _CELL + 40)
    return positions, groups


class GraphService:
    """Builds the graph of *repo* on demand and keeps the last build.

    :param repo: any directory inside a git work tree.
    :param base: the ref changes are counted from (default: depci's default base).
    """

    def __init__(self, repo: Path, base: str | None = None) -> None:
        self.root = repo_root(repo)
        self.base = base
        if base is not None:
            changed_files(self.root, base)  # an unknown ref fails now, not in the page
        self._lock = threading.Lock()
        self._snapshot: GraphSnapshot | None = None

    def snapshot(self, *, refresh: bool = False) -> GraphSnapshot:
        with self._lock:
            if self._snapshot is None or refresh:
                self._snapshot = self._build()
            return self._snapshot

    def _build(self) -> GraphSnapshot:
        started = time.perf_counter()
        base = self.base or default_base(self.root)
        changed = changed_files(self.root, base)
        missing = [c for c in changed if not (self.root / c).exists()]
        analysis = build_graph(self.root, missing=missing, check=changed)
        sel = select(analysis, changed)
        return GraphSnapshot(
            root=self.root,
            base=base,
            graph=analysis.graph,
            tests=analysis.tests,
            changed=sel.changed,
            affected=sel.affected,
            selected=sel.tests,
            run_all=sel.run_all,
            reasons=sel.reasons,
            errors=analysis.errors,
            seconds=time.perf_counter() - started,
        )
