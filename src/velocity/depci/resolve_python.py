"""Python import -> repository file, with re-exported names chased to their module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from velocity.depci.model import Edge
from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile

__all__ = ["PythonResolver"]

_MAX_CHASE = 12
# (target, deep) pairs without duplicates, and the import's spec as written.
_Targets: TypeAlias = tuple[list[tuple[str, bool]], str]


@dataclass
class _Module:
    edges: list[tuple[str, bool]]  # (path, deep): parent packages shallow, the module deep
    file: str | None  # the module's own file (None for a namespace package)
    pkg_dir: str | None  # set when the module is a package: where submodules live


class PythonResolver:
    """Resolves :class:`~velocity.depci.model.ImportRef` of ``.py`` files to edges.

    :param files: every repo-relative file path.
    :param roots: import roots, as :func:`~velocity.depci.pyroots.detect_python_roots` gives.
    :param parsed: parse results by path (for re-export chasing).
    :param precise: chase ``from pkg import X`` through ``pkg/__init__.py`` bindings.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        files: set[str],
        roots: list[str],
        parsed: Mapping[str, ParsedFile],
        *,
        precise: bool = True,
    ) -> None:
        self._files = files
        self._dirs = _dirs_of(files)
        self._roots = roots
        self._parsed = parsed
        self._precise = precise
        self._basedirs: dict[str, str] = {}
        # Thousands of files import the same few modules and names: resolve each once.
        self._modules: dict[tuple[str, str, int], _Module | None] = {}
        self._names: dict[tuple[str | None, str | None, str], list[tuple[str, bool]] | None] = {}
        # What an import resolves to depends on the importer only through the directory it
        # is looked up from: many files share the answer (sympy: 17,700 imports, 6,700 answers).
        self._refs: dict[tuple[str, str, int, tuple[str, ...] | None], _Targets] = {}

    def resolve(self, path: str, ref: ImportRef) -> list[Edge]:
        """The edges for one import of the file at *path*; external imports give none."""
        spec, level = ref.spec, ref.level
        where = _parent(path, level) if level else self._basedir(path)
        names = ref.names if ref.style == "from" else None
        key = (where, spec, level, names)
        targets = self._refs.get(key)
        if targets is None:
            targets = self._refs[key] = self._targets(path, ref)
        if not targets[0]:
            return []
        # tuple.__new__: Edge's own __new__ is Python code, and this runs once per edge.
        new, line, type_only = tuple.__new__, ref.line, ref.type_only
        return [new(Edge, (t, deep, line, targets[1], type_only)) for t, deep in targets[0]]

    def _targets(self, path: str, ref: ImportRef) -> _Targets:
        out: list[tuple[str, bool]] = []
        if ref.style == "from":
            found = self._from(path, ref.spec, ref.level, ref.names, frozenset())
            out = found or []
        else:
            mod = self._module(path, ref.spec, ref.level)
            out = mod.edges if mod else []
        best: dict[str, bool] = {}
        for target, deep in out:
            best[target] = deep or best.get(target, False)
        return list(best.items()), "." * ref.level + ref.spec

    def _from(
        self, path: str, spec: str, level: int, names: tuple[str, ...], seen: frozenset[str]
    ) -> list[tuple[str, bool]] | None:
        mod = self._module(path, spec, level)
        if mod is None:
            return None
        edges = list(mod.edges)
        precise = self._precise and names != ("*",) and mod.file is not None
        for name in names:
            found = self._name(mod, name, seen)
            if found is None:
                precise = False
            else:
                edges += found
        if precise and edges and edges[len(mod.edges) - 1][0] == mod.file:
            edges[len(mod.edges) - 1] = (edges[len(mod.edges) - 1][0], False)
        return edges

    def _name(self, mod: _Module, name: str, seen: frozenset[str]) -> list[tuple[str, bool]] | None:
        # Edges for `from mod import name`, or None when name's origin can't be pinned down.
        # Only answers computed outside a cycle check are stable enough to remember.
        key = (mod.file, mod.pkg_dir, name)
        if not seen and key in self._names:
            return self._names[key]
        found = self._name_uncached(mod, name, seen)
        if not seen:
            self._names[key] = found
        return found

    def _name_uncached(
        self, mod: _Module, name: str, seen: frozenset[str]
    ) -> list[tuple[str, bool]] | None:
        sub = self._parts(mod.pkg_dir, [name]) if mod.pkg_dir is not None and name != "*" else None
        out = list(sub.edges) if sub is not None else []
        chased = self._chase(mod.file, name, seen) if mod.file else None
        if chased is None:
            return out if sub is not None and not self._defines(mod.file, name) else None
        return out + chased

    def _defines(self, path: str | None, name: str) -> bool:
        pf = self._parsed.get(path) if path else None
        return pf is None or name in pf.local_names or name in pf.bindings

    def _chase(self, path: str, name: str, seen: frozenset[str]) -> list[tuple[str, bool]] | None:
        key = f"{path}:{name}"
        pf = self._parsed.get(path)
        if pf is None or pf.error or key in seen or len(seen) > _MAX_CHASE:
            return None
        if name in pf.local_names or name not in pf.bindings:
            return None
        out: list[tuple[str, bool]] = []
        for b in pf.bindings[name]:
            if not b.name:
                mod = self._module(path, b.module, b.level)
                out += mod.edges if mod else []
                continue
            found = self._from(path, b.module, b.level, (b.name,), seen | {key})
            out += found or []
        return out

    def _module(self, path: str, spec: str, level: int) -> _Module | None:
        where = _parent(path, level) if level else self._basedir(path)
        key = (where, spec, level)
        if key not in self._modules:
            self._modules[key] = self._find(where, spec, level)
        return self._modules[key]

    def _find(self, where: str, spec: str, level: int) -> _Module | None:
        parts = [p for p in spec.split(".") if p]
        if level:
            return self._parts(where, parts)
        if not parts:
            return None
        for root in [*self._roots, where]:
            found = self._parts(root, parts)
            if found is not None:
                return found
        return None

    def _parts(self, base: str, parts: list[str]) -> _Module | None:
        cur, edges = base, []
        if not parts:
            init = _join(base, "__init__.py")
            if init in self._files:
                return _Module([(init, True)], init, base)
            return _Module([], None, base) if base in self._dirs or not base else None
        for i, part in enumerate(parts):
            cur = _join(cur, part)
            last = i == len(parts) - 1
            init = _join(cur, "__init__.py")
            if init in self._files:
                edges.append((init, last))
            elif last and cur + ".py" in self._files:
                return _Module([*edges, (cur + ".py", True)], cur + ".py", None)
            elif cur not in self._dirs:
                # `import pkg.missing`: keep what exists, as deep edges (safety first).
                return _Module([(p, True) for p, _ in edges], None, None) if edges else None
        return _Module(edges, edges[-1][0] if edges and edges[-1][1] else None, cur)

    def _basedir(self, path: str) -> str:
        # pytest's rootdir-less "prepend" import mode: the first parent without __init__.py.
        parent = _parent(path, 1)
        cached = self._basedirs.get(parent)
        if cached is None:
            cur = parent
            while cur and _join(cur, "__init__.py") in self._files:
                cur = _parent(cur, 1)
            cached = self._basedirs[parent] = cur
        return cached


def _dirs_of(files: set[str]) -> set[str]:
    dirs: set[str] = set()
    for path in files:
        path = path.rpartition("/")[0]
        while path and path not in dirs:
            dirs.add(path)
            path = path.rpartition("/")[0]
    return dirs


def _parent(path: str, levels: int) -> str:
    # "a/b/c.py", 1 -> "a/b"; the repository root is "".
    for _ in range(levels):
        path = path.rpartition("/")[0]
    return path


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name
