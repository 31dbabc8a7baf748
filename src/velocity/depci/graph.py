"""The dependency graph: forward and reverse edges, reverse closure, import chains."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from velocity.depci.model import Edge

__all__ = ["Graph"]


class Graph:
    """Files and the edges between them (see :class:`~velocity.depci.model.Edge`).

    .. versionadded:: 0.1
    """

    def __init__(self) -> None:
        self.forward: dict[str, dict[str, Edge]] = {}
        self.reverse: dict[str, dict[str, Edge]] = {}

    def add_node(self, path: str) -> None:
        """Make *path* a node even when nothing imports it and it imports nothing."""
        self.forward.setdefault(path, {})
        self.reverse.setdefault(path, {})

    def add_edge(self, source: str, edge: Edge) -> None:
        """Record that *source* depends on ``edge.target``; a deep edge beats a shallow one."""
        if source == edge.target:
            return
        out = self.forward.get(source)
        if out is None:
            self.add_node(source)
            out = self.forward[source]
        into = self.reverse.get(edge.target)
        if into is None:
            self.add_node(edge.target)
            into = self.reverse[edge.target]
        prev = out.get(edge.target)
        if prev is None or (edge.deep and not prev.deep):
            out[edge.target] = edge
            into[source] = edge

    def __contains__(self, path: object) -> bool:
        return path in self.forward

    def affected(self, changed: Iterable[str]) -> set[str]:
        """The changed files plus every file that can reach one of them.

        Deep edges carry a change on; a shallow edge carries it only out of a file that
        changed itself.
        """
        direct = set(changed)
        seen = set(direct)
        queue = deque(direct)
        while queue:
            node = queue.popleft()
            for importer, edge in self.reverse.get(node, {}).items():
                if importer not in seen and (edge.deep or node in direct):
                    seen.add(importer)
                    queue.append(importer)
        return seen

    def why(self, start: str, changed: str) -> list[tuple[str, Edge]] | None:
        """The shortest import chain from *start* to *changed*, as (importer, edge) hops."""
        if start == changed:
            return []
        back: dict[str, tuple[str, Edge]] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for target, edge in self.forward.get(node, {}).items():
                if target in back or target == start or (not edge.deep and target != changed):
                    continue
                back[target] = (node, edge)
                if target == changed:
                    return _chain(back, start, changed)
                queue.append(target)
        return None

    def to_json(self) -> dict[str, Any]:
        """``{"nodes": [...], "edges": [{"source", "target", "deep", ...}]}``, sorted."""
        edges = [
            {"source": src, **edge._asdict()}
            for src in sorted(self.forward)
            for _, edge in sorted(self.forward[src].items())
        ]
        return {"nodes": sorted(self.forward), "edges": edges}

    def to_dot(self) -> str:
        """Graphviz ``digraph``; shallow edges dashed, type-only edges dotted."""
        lines = ["digraph depci {"]
        lines += [f"  {_q(n)};" for n in sorted(self.forward)]
        for src in sorted(self.forward):
            for target, edge in sorted(self.forward[src].items()):
                style = "dotted" if edge.type_only else "solid" if edge.deep else "dashed"
                lines.append(f"  {_q(src)} -> {_q(target)} [style={style}];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _chain(back: dict[str, tuple[str, Edge]], start: str, end: str) -> list[tuple[str, Edge]]:
    hops: list[tuple[str, Edge]] = []
    node = end
    while node != start:
        importer, edge = back[node]
        hops.append((importer, edge))
        node = importer
    return hops[::-1]


def _q(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
