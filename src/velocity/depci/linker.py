"""Resolve parsed imports into the graph, reusing last run's edges for untouched files.

Last run's edges (in the cache's ``graph`` section) stay valid for a file when the set of
files, the resolution config (roots, precision, package.json / tsconfig / pyproject
contents) and the file's own content are unchanged, and it has no edge to a file whose
*surface* changed: the names that file binds by import or defines, which is all that
re-export chasing reads (and every module a chase reads is an edge of the importer).
Those files are resolved again; all others keep their edges.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

try:
    from _blake2 import blake2b  # hashlib's own blake2b, without loading OpenSSL (~3 ms)
except ImportError:  # pragma: no cover - not CPython
    from hashlib import blake2b

from velocity.depci.files import is_test_file
from velocity.depci.graph import Graph
from velocity.depci.model import Edge
from velocity.depci.model import ParsedFile
from velocity.depci.resolve_python import PythonResolver

if TYPE_CHECKING:
    from velocity.depci.resolve_js import JsResolver

__all__ = ["link"]

_EDGE_FIELDS = len(Edge._fields)
_CONFIG_NAMES = ("package.json", "pyproject.toml", "setup.cfg", "pnpm-workspace.yaml")


def link(
    root: Path,
    known: set[str],
    parsed: Mapping[str, ParsedFile],
    keys: dict[str, str],
    roots: list[str],
    precise: bool,
    previous: dict[str, Any] | None,
    *,
    keep: bool = True,
) -> tuple[Graph, dict[str, Any], int]:
    """The graph, the cache section to store for next time, and how many files were resolved.

    :param keys: code file -> its parse cache key (content hash).
    :param keep: build the cache section; without it (no cache, no *previous*) the section
        comes back empty and everything is resolved.
    """
    if not keep and previous is None:
        graph = _empty(known)
        _fill_fresh(graph, keys, parsed, root, known, roots, precise)
        _conftest_edges(graph, known)
        return graph, {}, len(keys)
    graph_key = _graph_key(root, known, roots, precise)
    old = previous if _usable(previous, graph_key) else None
    py = PythonResolver(known, roots, parsed, precise=precise)
    js: list[JsResolver] = []  # built on first use: a Python-only run never needs it

    def resolve(path: str, result: ParsedFile) -> list[Edge]:
        if path.endswith(".py"):
            return [e for ref in result.imports for e in py.resolve(path, ref)]
        if not js:
            js.append(_js_resolver(root, known))
        return [e for ref in result.imports for e in js[0].resolve(path, ref)]

    try:
        redo = _stale(old, keys, parsed) if old is not None else set(keys)
        graph = _empty(known)
        edges, surfaces = _fill(graph, keys, redo, old, parsed, resolve)
    except (TypeError, ValueError, KeyError, AttributeError):
        # Last run's section has an unexpected shape: never trusted, everything resolved.
        redo, graph = set(keys), _empty(known)
        edges, surfaces = _fill(graph, keys, redo, None, parsed, resolve)
    _conftest_edges(graph, known)
    section = {"key": graph_key, "digests": keys, "edges": edges, "surface": surfaces}
    return graph, section, len(redo)


def _fill_fresh(
    graph: Graph,
    keys: dict[str, str],
    parsed: Mapping[str, ParsedFile],
    root: Path,
    known: set[str],
    roots: list[str],
    precise: bool,
) -> None:
    # Resolve every file, nothing kept for next time: Graph.add_edge inlined, since this
    # loop carries every edge of a cold run.
    py = PythonResolver(known, roots, parsed, precise=precise)
    js: JsResolver | None = None
    forward, reverse = graph.forward, graph.reverse
    for path in keys:
        imports = parsed[path].imports
        if not imports:
            continue
        if path.endswith(".py"):
            resolve = py.resolve
        else:
            js = js or _js_resolver(root, known)
            resolve = js.resolve
        out = forward[path]  # every file is a node already, and resolvers name only files
        for ref in imports:
            for edge in resolve(path, ref):
                target = edge[0]
                if target == path:
                    continue
                prev = out.get(target)
                if prev is None or (edge[1] and not prev[1]):
                    out[target] = reverse[target][path] = edge


def _js_resolver(root: Path, known: set[str]) -> JsResolver:
    # Imported here: the JS resolver and its config readers cost every Python-only run.
    from velocity.depci.resolve_js import JsResolver

    return JsResolver(root, known)


def _empty(known: set[str]) -> Graph:
    graph = Graph()
    for path in sorted(known):
        graph.add_node(path)
    return graph


def _fill(
    graph: Graph,
    keys: dict[str, str],
    redo: set[str],
    old: dict[str, Any] | None,
    parsed: Mapping[str, ParsedFile],
    resolve: Callable[[str, ParsedFile], list[Edge]],
) -> tuple[dict[str, list[list[Any]]], dict[str, str]]:
    # Resolve the stale files, take the others' edges from last run; both go to the cache.
    edges_out: dict[str, list[list[Any]]] = {}
    surfaces: dict[str, str] = dict(old["surface"]) if old is not None else {}
    for path in keys:
        if old is None or path in redo:
            result = parsed[path]
            for edge in resolve(path, result):
                graph.add_edge(path, edge)
            surfaces[path] = _surface(result)
            edges_out[path] = [list(e) for e in graph.forward.get(path, {}).values()]
        else:
            edges_out[path] = kept = old["edges"].get(path, [])
            _add_kept(graph, path, kept)
    return edges_out, {p: surfaces[p] for p in keys}


def _add_kept(graph: Graph, path: str, kept: list[list[Any]]) -> None:
    # Graph.add_edge, inlined: this loop carries every edge of a warm run.
    make, forward, reverse = tuple.__new__, graph.forward, graph.reverse
    out = forward.get(path)
    if out is None:
        graph.add_node(path)
        out = forward[path]
    for fields in kept:
        if len(fields) != _EDGE_FIELDS:
            raise ValueError("bad edge")
        edge: Edge = make(Edge, fields)
        target = edge[0]
        if target == path:
            continue
        into = reverse.get(target)
        if into is None:
            graph.add_node(target)
            into = reverse[target]
        prev = out.get(target)
        if prev is None or (edge[1] and not prev[1]):
            out[target] = into[path] = edge


def _usable(previous: dict[str, Any] | None, graph_key: str) -> bool:
    if previous is None or previous.get("key") != graph_key:
        return False
    return all(isinstance(previous.get(k), dict) for k in ("digests", "edges", "surface"))


def _stale(old: dict[str, Any], keys: dict[str, str], parsed: Mapping[str, ParsedFile]) -> set[str]:
    before: dict[str, str] = old["digests"]
    changed = {p for p, k in keys.items() if before.get(p) != k}
    surface: dict[str, str] = old["surface"]
    moved = {p for p in changed if surface.get(p) != _surface(parsed[p])}
    moved |= {p for p in before if p not in keys}
    redo = set(changed)
    if moved:
        for src, edges in old["edges"].items():
            if any(e[0] in moved for e in edges):
                redo.add(src)
    return redo & set(keys)


def _surface(result: ParsedFile) -> str:
    # What other files' resolution reads from this one: its module-level names.
    bindings = sorted((k, sorted(v)) for k, v in result.bindings.items())
    blob = json.dumps([bindings, sorted(result.local_names), result.star])
    return blake2b(blob.encode(), digest_size=12).hexdigest()


def _graph_key(root: Path, known: set[str], roots: list[str], precise: bool) -> str:
    configs: list[list[str | None]] = []
    for path in sorted(known):
        name = path.rpartition("/")[2]
        tsconfig = name.endswith(".json") and name.startswith(("tsconfig", "jsconfig"))
        if name in _CONFIG_NAMES or tsconfig:
            configs.append([path, _file_hash(root, path)])
        if tsconfig:
            from velocity.depci.jsconfig import extends_chain

            # What `extends` reads counts too: a base.json, or a package in node_modules.
            configs += [
                [f"{path}>{ext}", _file_hash(root, ext)] for ext in extends_chain(root, path)
            ]
    blob = json.dumps([sorted(known), roots, precise, configs]).encode()
    return blake2b(blob, digest_size=16).hexdigest()


def _file_hash(root: Path, path: str) -> str | None:
    try:
        return blake2b((root / path).read_bytes()).hexdigest()
    except OSError:
        return None


def _conftest_edges(graph: Graph, known: set[str]) -> None:
    conftests = {f for f in known if f.rpartition("/")[2] == "conftest.py"}
    for path in known:
        if path.endswith(".py") and (is_test_file(path) or path in conftests):
            for conftest in _conftests_above(path, conftests):
                graph.add_edge(path, Edge(conftest, True, 0, "conftest"))


def _conftests_above(path: str, conftests: set[str]) -> list[str]:
    found = []
    while path:
        path = path.rpartition("/")[0]
        name = f"{path}/conftest.py" if path else "conftest.py"
        if name in conftests:
            found.append(name)
    return found
