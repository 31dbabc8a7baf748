"""Plain data passed between the depci stages: what a parser found in one file."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal
from typing import NamedTuple

__all__ = ["Binding", "ImportRef", "ImportStyle", "ParsedFile"]

#: ``import``: ``import a.b`` / ``require("x")`` / ``import "x"``; ``from``: ``from a import n``.
ImportStyle = Literal["import", "from", "dynamic", "plugin"]


class ImportRef(NamedTuple):
    """One import statement (or import-like call) found in a source file.

    :param spec: the module as written, without leading dots (``a.b``) or the JS specifier.
    :param style: how the module was named (see :data:`ImportStyle`).
    :param line: 1-based line of the statement.
    :param level: leading dots of a Python relative import (0 for absolute).
    :param names: for ``from spec import n1, n2``: the imported names (``*`` for a star import).
    :param type_only: a TypeScript ``import type`` / ``export type``.

    .. versionadded:: 0.1
    """

    spec: str
    style: ImportStyle
    line: int
    level: int = 0
    names: tuple[str, ...] = ()
    type_only: bool = False


class Binding(NamedTuple):
    """A module-level name bound by an import: ``from <level><module> import <name> as X``.

    ``name`` is empty when the whole module is bound (``import a.b as X``).

    .. versionadded:: 0.1
    """

    module: str
    level: int = 0
    name: str = ""


@dataclass
class ParsedFile:
    """Everything depci keeps about one parsed file.

    :param imports: the imports, in source order.
    :param bindings: Python only: module-level names bound by imports (for re-export chasing).
    :param local_names: Python only: module-level names bound by anything but an import.
    :param star: Python only: the module has a module-level ``from x import *``.
    :param error: a parse error ("line 3: syntax error"); the file is then "unknown".
    :param checked: a full parse made this: ``error`` is authoritative (a quick pass reports
        no errors; see :mod:`velocity.depci.parse_python_quick`).

    .. versionadded:: 0.1
    """

    imports: list[ImportRef] = field(default_factory=list)
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    local_names: frozenset[str] = frozenset()
    star: bool = False
    error: str | None = None
    checked: bool = True

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_json` reverses it.

        .. versionadded:: 0.1
        """
        return {
            "i": [
                [r.spec, r.style, r.line, r.level, list(r.names), r.type_only] for r in self.imports
            ],
            "b": {k: [[b.module, b.level, b.name] for b in v] for k, v in self.bindings.items()},
            "l": sorted(self.local_names),
            "s": self.star,
            "e": self.error,
            "c": self.checked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParsedFile:
        """Rebuild from :meth:`to_json` output; raises on anything malformed.

        .. versionadded:: 0.1
        """
        # The cache checksums what it wrote, so shapes are trusted; types are still checked
        # where a wrong one would not fail loudly later.
        # tuple.__new__ skips the named tuples' Python-level __new__: decoding is on the
        # cold path for every file parsed in a worker process.
        new = tuple.__new__
        imports: list[ImportRef] = [
            new(ImportRef, (s, st if st in _STYLES else _style(st), ln, lv, tuple(ns), t))
            for s, st, ln, lv, ns, t in data["i"]
        ]
        bindings: dict[str, list[Binding]] = {
            k: [new(Binding, (m, lv, n)) for m, lv, n in v] for k, v in data["b"].items()
        }
        error = data["e"]
        if error is not None and not isinstance(error, str):
            raise TypeError("error must be a string")
        locals_ = frozenset(map(str, data["l"]))
        return cls(imports, bindings, locals_, bool(data["s"]), error, bool(data["c"]))


_STYLES = frozenset(("import", "from", "dynamic", "plugin"))


def _style(value: object) -> ImportStyle:
    if value in ("import", "from", "dynamic", "plugin"):
        return value
    raise ValueError(f"unknown import style {value!r}")


class Edge(NamedTuple):
    """A resolved dependency of one file on another (repo-relative paths).

    A *deep* edge means the importer uses the target's contents, so anything the target
    depends on reaches the importer too. A *shallow* edge means the importer only runs the
    target (a parent package's ``__init__``, or a module it takes re-exported names through):
    a change to the target itself reaches the importer, its other imports do not.

    .. versionadded:: 0.1
    """

    target: str
    deep: bool
    line: int
    spec: str
    type_only: bool = False
