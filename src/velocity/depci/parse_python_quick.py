"""The quick first pass over Python files: only the lines that can import are read.

A regex finds the lines that start an import statement or call ``import_module("...")`` /
``__import__("...")``, each with its bracket and backslash continuations. Statements in
the plain forms nearly all code uses are read right here, as text (see
:mod:`velocity.depci.parse_python_text`); a file with any other form has tree-sitter parse
just those statements through ``included_ranges``, keeping line numbers. If any such line
yields no import, the file goes to the full parse (``None``). Names a module defines
itself are collected from its top-level statements and the blocks of top-level
if/try/with statements, generously (every word left of an ``=``): more local names only
ever make an edge deep, never drop one. The pass reports no syntax errors: changed files
are always parsed in full (see :mod:`velocity.depci.selection`).
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from tree_sitter import Node
from tree_sitter import Parser
from tree_sitter import Point
from tree_sitter import Range

from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile
from velocity.depci.parse_python import bind
from velocity.depci.parse_python import collect_imports
from velocity.depci.parse_python_text import Statement
from velocity.depci.parse_python_text import bind_statement
from velocity.depci.parse_python_text import local_names
from velocity.depci.parse_python_text import read_statements
from velocity.depci.parse_python_text import simple_statement
from velocity.depci.parse_python_text import top_starts

__all__ = ["quick_parse"]

_IMPORT = re.compile(rb"import")
# What may precede `import` on a line that starts a statement (also after `;` or `if x:`).
_FROM = re.compile(rb"(?:^|.*[;:])[ \t]*from[ \t]+(?!__future__\b)\.*[^\s;]*[ \t]+\Z", re.S)
_BEFORE = re.compile(rb"(?:^|.*[;:])[ \t]*\Z", re.S)
_AFTER = re.compile(rb"[ \t\\(]")
_DYNAMIC = re.compile(rb"(?:__import__|import_module)\(\s*['\"]")
_SCOPES = (b"def ", b"async def ", b"class ", b"def\t", b"class\t")
_ENCLOSING = (*_SCOPES, b"@")


class Candidate(NamedTuple):
    """One statement that may import: where its line starts, the match, where it ends."""

    row: int  # 0-based
    start: int  # the line's first byte
    at: int  # the `import` (or `import_module(` / `__import__(`) match
    end: int  # just past the statement; 0 when inside the previous candidate's statement
    dynamic: bool
    statement: Statement | None  # already read, when in a common form


def quick_parse(parser: Parser, source: bytes, *, read_text: bool = True) -> ParsedFile | None:
    """Imports, bindings and local names of *source*; ``None`` means "do a full parse".

    *read_text* false has tree-sitter read every candidate statement (tests compare).
    """
    if b"pytest_plugins" in source:
        return None  # rare (conftest files) and its value can span any expression
    try:
        found = _candidates(source)
    except _FullParse:
        return None
    result = ParsedFile(checked=False)
    tops = top_starts(source)
    if found:
        statements = read_statements(source, found) if read_text else None
        if statements is None:
            if not _tree_pass(parser, source, found, result):
                return None
        else:
            result.imports = statements[0]
            _bind(source, statements[1], tops, result)
    result.star = any(r.names == ("*",) for r in result.imports)
    result.local_names = local_names(source, tops)
    return result


def _bind(
    source: bytes, bound: list[tuple[int, int, Statement]], tops: list[int], out: ParsedFile
) -> None:
    lines: list[bytes] = []
    memo: dict[int, bool] = {}
    for row, indented, statement in bound:
        if indented >= 0:
            # In a top-level def or class (most indented imports are): local, no walk needed.
            if source.startswith(_ENCLOSING, tops[bisect.bisect_right(tops, indented) - 1]):
                continue
            lines = lines or source.split(b"\n")
            if not _module_level(lines, row, memo):
                continue
        bind_statement(out, statement)


def _tree_pass(parser: Parser, source: bytes, found: list[Candidate], out: ParsedFile) -> bool:
    # tree-sitter over the candidates' byte ranges; False when a candidate line gave nothing.
    parser.included_ranges = _ranges(source, found)
    root = parser.parse(source).root_node
    statements: list[tuple[Node, ImportRef | None]] = []
    out.imports = collect_imports(root, statements)
    if not {c.row + 1 for c in found} <= {r.line for r in out.imports}:
        return False  # a candidate line produced no import: let the full parse decide
    lines, memo = source.split(b"\n"), dict[int, bool]()
    for node, ref in sorted(statements, key=lambda s: s[0].start_point[0]):
        if _module_level(lines, node.start_point[0], memo):
            bind(node, out, ref)
    return True


def _ranges(source: bytes, found: list[Candidate]) -> list[Range]:
    out: list[Range] = []
    end = 0
    for c in found:
        if not c.end:
            continue  # already inside the previous range
        first, begin = c.row, c.start
        if c.start == end and out:
            # Adjacent statements share one range: tree-sitter pays per range.
            prev = out.pop()
            first, begin = prev.start_point[0], prev.start_byte
        end = c.end
        last = c.row + source.count(b"\n", c.start, end)
        out.append(Range(Point(first, 0), Point(last, 0), begin, end))
    return out


def _candidates(source: bytes) -> list[Candidate]:
    # The candidate statements in source order, each with the line it starts on; those in
    # a common form read at once (then the other `import`s in them need no look).
    out: list[Candidate] = []
    end = pos = row = read_to = 0
    tried = -1
    new = tuple.__new__
    for match in _IMPORT.finditer(source):
        at = match.start()
        if at < read_to:
            continue
        start = source.rfind(b"\n", 0, at) + 1
        if start >= end and start != tried:
            tried = start
            simple = None if _continued(source, start) else simple_statement(source, start)
            if simple is not None:
                row += source.count(b"\n", pos, start)
                pos, end = start, simple[1]
                read_to = end
                out.append(new(Candidate, (row, start, at, end, False, simple[0])))
                continue
        dynamic = _is_candidate(source, start, at)
        if dynamic is None:
            continue
        row += source.count(b"\n", pos, start)
        pos = start
        if start < end:
            out.append(new(Candidate, (row, start, at, 0, dynamic, None)))
            continue
        end = _statement_end(source, start)
        out.append(new(Candidate, (row, start, at, end, dynamic, None)))
    return out


def _continued(source: bytes, line_start: int) -> bool:
    # Does the line before end with a backslash (continuing onto this one)?
    # (Judged on the three bytes before the line, newlines stripped: `\\\n`, `\\\r\n`, and
    # also `\\\n\n`.)
    if line_start < 2:
        return False
    last = source[line_start - 2]
    if last in b"\r\n":
        return line_start >= 3 and source[line_start - 3] == 92  # a backslash
    return last == 92


def _is_candidate(source: bytes, line_start: int, at: int) -> bool | None:
    # None: not a candidate; else whether it is a dynamic import call.
    before = source[line_start:at]
    if before.endswith(b"__") or source.startswith(b"_module", at + 6):
        at = at - 2 if before.endswith(b"__") else at
        return True if _DYNAMIC.match(source, at) is not None else None
    if not _AFTER.match(source, at + 6):
        return None
    continued = _continued(source, line_start)
    if _BEFORE.match(before) or _FROM.match(before):
        if continued and _continues_from(source, line_start):
            raise _FullParse  # `from x \` + newline + `import y`: not `import y`
        return False
    if continued:
        # `from \` + newline + `x import y`: a statement split where the quick pass can't
        # see its start. Rare; the full parse reads it.
        raise _FullParse
    return None


def _continues_from(source: bytes, line_start: int) -> bool:
    # Does a backslash-continued line ending just before *line_start* mention `from`?
    end = line_start - 1
    while end > 0:
        start = source.rfind(b"\n", 0, end) + 1
        line = source[start:end].rstrip(b"\r")
        if not line.endswith(b"\\"):
            return False
        if b"from" in line:
            return True
        end = start - 1
    return False


class _FullParse(Exception):
    pass


def _statement_end(source: bytes, start: int) -> int:
    nl = source.find(b"\n", start)
    nl = len(source) if nl < 0 else nl
    line = source[start:nl]
    plain = b"(" not in line and b"[" not in line and b"{" not in line
    if plain and not line.rstrip().endswith(b"\\"):
        return min(nl + 1, len(source))  # the common case: one line, no brackets
    depth, pos = 0, start
    while pos < len(source):
        nl = source.find(b"\n", pos)
        nl = len(source) if nl < 0 else nl
        line = source[pos:nl]
        depth += line.count(b"(") + line.count(b"[") + line.count(b"{")
        depth -= line.count(b")") + line.count(b"]") + line.count(b"}")
        pos = nl + 1
        if depth <= 0 and not line.rstrip().endswith(b"\\"):
            break
    return min(pos, len(source))


def _module_level(lines: list[bytes], row: int, memo: dict[int, bool]) -> bool:
    # Walk up through enclosing blocks by indentation; any def/class on the way means local.
    # `memo` holds answers per row, so a block of many imports is walked once, not per line.
    indent, chain, answer = _indent(lines[row]), [row], True
    for i in range(row - 1, -1, -1):
        if indent == 0:
            break
        text = lines[i].lstrip()
        if not text or text.startswith(b"#"):
            continue
        level = len(lines[i]) - len(text)
        if level == indent and i in memo:
            answer = memo[i]
            break
        if level < indent:
            if text.startswith(_SCOPES) or text.startswith(b"@"):
                answer = False
                break
            indent = level
            chain.append(i)
    for i in chain:
        memo[i] = answer
    return answer


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip())
