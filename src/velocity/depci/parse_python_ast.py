"""The full parse of a changed Python file with :mod:`ast`: no grammar to load.

A one-file edit parses one file in full (to report its syntax errors); loading tree-sitter
for it would cost more than the rest of the run. Python's own parser gives the same
imports, bindings and names as :mod:`velocity.depci.parse_python` (or a superset: an
assignment's every target, ``"a" "b"`` literals), and is the authority on syntax. A file it
rejects goes to tree-sitter, which tolerates errors (and newer syntax) and says where.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator

from velocity.depci.model import Binding
from velocity.depci.model import ImportRef
from velocity.depci.model import ImportStyle
from velocity.depci.model import ParsedFile

__all__ = ["ast_parse"]

_NESTED = (ast.If, ast.Try, ast.TryStar, ast.With, ast.AsyncWith)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_WANTED = frozenset((ast.Import, ast.ImportFrom, ast.Call, ast.Assign, ast.AnnAssign))
# Where statements nest: no expression holds one (a lambda's body is an expression).
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def ast_parse(source: bytes) -> ParsedFile | None:
    """The full parse of *source*, or ``None`` when Python rejects it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are the file's business
            tree = ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
    found: list[tuple[int, int, ImportRef]] = []
    wanted = _WANTED
    # Only a call can hide in an expression, and only one naming these does we keep.
    calls = not source.isascii() or b"import_module" in source or b"__import__" in source
    for node in ast.walk(tree) if calls else _statements(tree):
        if type(node) in wanted:  # most nodes are not: skip the call
            found += _refs(node)
    found.sort(key=lambda f: (f[0], f[1]))
    out = ParsedFile(imports=[ref for _, _, ref in found])
    locals_: set[str] = set()
    _walk_module(tree.body, out, locals_)
    out.local_names = frozenset(locals_)
    return out


def _statements(tree: ast.Module) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCKS:
            stack.extend(getattr(node, name, ()))


def _refs(node: ast.AST) -> list[tuple[int, int, ImportRef]]:
    at = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    if isinstance(node, ast.Import):
        return [(*at, ImportRef(a.name, "import", at[0])) for a in node.names]
    if isinstance(node, ast.ImportFrom) and not _future(node):
        return [(*at, _from(node))]
    if isinstance(node, ast.Call) and node.args and _is_dynamic(node.func):
        return _literal(node.args[0], "dynamic")
    if isinstance(node, ast.Assign) and any(_is_plugins(t) for t in node.targets):
        return _plugins(node.value)
    if isinstance(node, ast.AnnAssign) and node.value is not None and _is_plugins(node.target):
        return _plugins(node.value)
    return []


def _from(node: ast.ImportFrom) -> ImportRef:
    names = tuple(a.name for a in node.names)
    return ImportRef(node.module or "", "from", node.lineno, node.level, names)


def _future(node: ast.ImportFrom) -> bool:
    # A compiler directive (tree-sitter's future_import_statement), not an import.
    return node.module == "__future__" and node.level == 0


def _is_dynamic(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("import_module", "__import__")
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "import_module"
        and isinstance(func.value, ast.Name)
        and func.value.id == "importlib"
    )


def _is_plugins(target: ast.expr) -> bool:
    return isinstance(target, ast.Name) and target.id == "pytest_plugins"


def _literal(node: ast.expr, style: str) -> list[tuple[int, int, ImportRef]]:
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        value = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        raw = node.value
        value = raw if isinstance(raw, str) else raw.decode("latin-1")
    else:
        return []
    if not value or any(ch.isspace() for ch in value):
        return []
    stripped = value.lstrip(".")
    kind: ImportStyle = "dynamic" if style == "dynamic" else "plugin"
    ref = ImportRef(stripped, kind, node.lineno, len(value) - len(stripped))
    return [(node.lineno, node.col_offset, ref)]


def _plugins(node: ast.expr) -> list[tuple[int, int, ImportRef]]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [r for elt in node.elts for r in _plugins(elt)]
    return _literal(node, "plugin")


def _walk_module(body: list[ast.stmt], out: ParsedFile, locals_: set[str]) -> None:
    for stmt in body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                top = alias.name.split(".")[0]
                bound, binding = (
                    (alias.asname, Binding(alias.name)) if alias.asname else (top, Binding(top))
                )
                out.bindings.setdefault(bound, []).append(binding)
        elif isinstance(stmt, ast.ImportFrom) and not _future(stmt):
            _bind_from(stmt, out)
        elif isinstance(stmt, _DEFS):
            locals_.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                _targets(target, locals_)
        elif isinstance(stmt, _NESTED):
            _walk_nested(stmt, out, locals_)


def _walk_nested(stmt: ast.stmt, out: ParsedFile, locals_: set[str]) -> None:
    # The blocks tree-sitter's walk enters: if/elif/else, try/except/else/finally, with.
    for field in ("body", "orelse", "finalbody"):
        _walk_module(getattr(stmt, field, []), out, locals_)
    for handler in getattr(stmt, "handlers", []):
        _walk_module(handler.body, out, locals_)


def _bind_from(stmt: ast.ImportFrom, out: ParsedFile) -> None:
    if any(a.name == "*" for a in stmt.names):
        out.star = True
        return
    for alias in stmt.names:
        binding = Binding(stmt.module or "", stmt.level, alias.name)
        out.bindings.setdefault(alias.asname or alias.name, []).append(binding)


def _targets(node: ast.expr, locals_: set[str]) -> None:
    if isinstance(node, ast.Name):
        locals_.add(node.id)
    elif isinstance(node, (ast.Tuple, ast.List)):
        for elt in node.elts:
            _targets(elt, locals_)
    elif isinstance(node, ast.Starred):
        _targets(node.value, locals_)
