"""A Python module cut into blocks: each function body on its own, everything else as one.

Coverage precision (:mod:`velocity.depci.precision`) compares two versions of a module
block by block. A *function block* is the body of a function or method that is not itself
inside a function (nested functions belong to their enclosing block). Everything else --
imports, decorators, signatures and default values, class bodies, constants -- runs when the
module is imported and forms the *module block*. Fingerprints hash the AST without positions,
so formatting and comments never count as a change.

.. versionadded:: 0.2
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from dataclasses import field

__all__ = ["Blocks", "FunctionBlock", "parse_blocks"]

_Func = ast.FunctionDef | ast.AsyncFunctionDef
# A decorator that remembers results lets one test's call serve another without running
# the body again: such a function's record can't say which tests depend on it.
_STATEFUL = ("cache", "memo")


@dataclass
class FunctionBlock:
    """One function body.

    :param first: first line of the body; ``last``: its last line.
    :param measurable: a call runs lines that only the call runs (the body does not share
        its first line with the signature, is more than a docstring, and no caching decorator
        hides calls). A change to a block that is not measurable is a module-level change.

    .. versionadded:: 0.2
    """

    fingerprint: str
    first: int
    last: int
    measurable: bool


@dataclass
class Blocks:
    """The blocks of one module version.

    :param functions: qualified name (``Class.method``; ``#2`` for a second definition of
        the same name) -> block.
    :param import_lines: lines only importing the module runs (to tell an import that the
        record saw from one that happened before measuring started).

    .. versionadded:: 0.2
    """

    module: str
    functions: dict[str, FunctionBlock] = field(default_factory=dict)
    import_lines: frozenset[int] = frozenset()

    def line_map(self) -> dict[int, str]:
        """Line -> qualified name of the function block holding it."""
        out: dict[int, str] = {}
        for name, block in self.functions.items():
            out.update(dict.fromkeys(range(block.first, block.last + 1), name))
        return out


def parse_blocks(source: bytes | str) -> Blocks:
    """Cut *source* into blocks.

    :raises SyntaxError: *source* does not parse (also ``ValueError`` for NUL bytes).

    .. versionadded:: 0.2
    """
    tree = ast.parse(source)
    found: list[tuple[str, _Func]] = []
    _collect(tree.body, "", found)
    import_lines = _import_lines(tree)
    functions: dict[str, FunctionBlock] = {}
    for name, node in found:
        qual = name
        n = 1
        while qual in functions:
            n += 1
            qual = f"{name}#{n}"
        functions[qual] = _block(node)
        node.body = [ast.Pass()]  # the module block sees the signature only
    module = _digest(ast.dump(tree, include_attributes=False))
    return Blocks(module, functions, import_lines)


def _collect(body: list[ast.stmt], prefix: str, out: list[tuple[str, _Func]]) -> None:
    for node in body:
        if isinstance(node, _Func):
            out.append((prefix + node.name, node))
        elif isinstance(node, ast.ClassDef):
            _collect(node.body, f"{prefix}{node.name}.", out)
        else:
            for child in _child_bodies(node):
                _collect(child, prefix, out)


def _child_bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    # Statements nested in module- or class-level if/try/with/for/while/match.
    bodies = [getattr(node, attr, None) for attr in ("body", "orelse", "finalbody")]
    out = [b for b in bodies if isinstance(b, list)]
    out += [h.body for h in getattr(node, "handlers", [])]
    out += [c.body for c in getattr(node, "cases", [])]
    return out


def _block(node: _Func) -> FunctionBlock:
    body = node.body
    stmts = body[1:] if _is_docstring(body[0]) else body
    signature_end = max([node.lineno, *(n.end_lineno or n.lineno for n in _signature_nodes(node))])
    first, last = body[0].lineno, body[-1].end_lineno or body[-1].lineno
    stateful = any(
        word in ast.unparse(d).lower() for d in node.decorator_list for word in _STATEFUL
    )
    measurable = bool(stmts) and first > signature_end and not stateful
    text = "\n".join(ast.dump(s, include_attributes=False) for s in body)
    return FunctionBlock(_digest(text), first, last, measurable)


def _signature_nodes(node: _Func) -> list[ast.expr | ast.arg]:
    args = node.args
    nodes: list[ast.expr | ast.arg] = [*node.decorator_list, *args.defaults]
    nodes += [d for d in args.kw_defaults if d is not None]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    nodes += [a for a in every if a is not None]
    if node.returns is not None:
        nodes.append(node.returns)
    return nodes


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _import_lines(tree: ast.Module) -> frozenset[int]:
    body = tree.body[1:] if tree.body and _is_docstring(tree.body[0]) else tree.body
    lines = {s.lineno for s in body if not isinstance(s, _Func)}
    if not lines:  # only functions: their def lines run at import (and not when called)
        lines = {
            s.lineno
            for s in body
            if isinstance(s, _Func)
            and not s.decorator_list
            and s.body[0].lineno > s.lineno
            and not (len(s.body) == 1 and _is_docstring(s.body[0]))
        }
    return frozenset(lines)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
