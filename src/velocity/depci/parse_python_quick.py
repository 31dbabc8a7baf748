"""The quick first pass over Python files: tree-sitter parses only lines that can import.

A regex finds the lines that start an import statement or call ``import_module("...")`` /
``__import__("...")``; tree-sitter parses just those statements (with bracket and
backslash continuations) through ``included_ranges``, keeping line numbers. If any such
line yields no import, the file goes to the full parse (``None``). Names a module defines
itself are collected from its top-level statements and the blocks of top-level if/try/with
statements, generously (every word left of an ``=``): more local names only ever make an
edge deep, never drop one. The pass reports no syntax errors: changed files are always
parsed in full (see :mod:`velocity.depci.selection`).
"""

from __future__ import annotations

import itertools
import re

from tree_sitter import Node
from tree_sitter import Parser
from tree_sitter import Point
from tree_sitter import Range

from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile
from velocity.depci.parse_python import bind
from velocity.depci.parse_python import collect_imports

__all__ = ["quick_parse"]

_IMPORT = re.compile(rb"import")
# What may precede `import` on a line that starts a statement (also after `;` or `if x:`).
_FROM = re.compile(rb"(?:^|.*[;:])[ \t]*from[ \t]+(?!__future__\b)\.*[^\s;]*[ \t]+\Z", re.S)
_BEFORE = re.compile(rb"(?:^|.*[;:])[ \t]*\Z", re.S)
_AFTER = re.compile(rb"[ \t\\(]")
_DYNAMIC = re.compile(rb"(?:__import__|import_module)\(\s*['\"]")
_DEF = re.compile(rb"(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_ASSIGN = re.compile(rb"(?<![=!<>])=(?!=)")
_WORD = re.compile(rb"\w+")
_TOP = re.compile(rb"\n(?=[^ \t\r\n#])")  # a line that starts a top-level statement
_GLOBAL = re.compile(rb"global[ \t]+([^\n#;]+)")
_WITH = re.compile(rb"(?:async[ \t]+)?with\b|except\b|.*[:;][ \t]*with\b")
_SCOPES = (b"def ", b"async def ", b"class ", b"def\t", b"class\t")


def quick_parse(parser: Parser, source: bytes) -> ParsedFile | None:
    """Imports, bindings and local names of *source*; ``None`` means "do a full parse"."""
    if b"pytest_plugins" in source:
        return None  # rare (conftest files) and its value can span any expression
    try:
        ranges, rows = _ranges(source)
    except _FullParse:
        return None
    result = ParsedFile(checked=False)
    if ranges:
        parser.included_ranges = ranges
        root = parser.parse(source).root_node
        statements: list[tuple[Node, ImportRef | None]] = []
        result.imports = collect_imports(root, statements)
        if not rows <= {r.line for r in result.imports}:
            return None  # a candidate line produced no import: let the full parse decide
        lines, memo = source.split(b"\n"), dict[int, bool]()
        for node, ref in sorted(statements, key=lambda s: s[0].start_point[0]):
            if _module_level(lines, node.start_point[0], memo):
                bind(node, result, ref)
    result.star = any(r.names == ("*",) for r in result.imports)
    result.local_names = _local_names(source)
    return result


def _ranges(source: bytes) -> tuple[list[Range], set[int]]:
    # Byte ranges of the candidate statements, and the (1-based) lines they start on.
    out: list[Range] = []
    rows: set[int] = set()
    end = pos = row = 0
    for match in _IMPORT.finditer(source):
        start = source.rfind(b"\n", 0, match.start()) + 1
        if not _is_candidate(source, start, match.start()):
            continue
        row += source.count(b"\n", pos, start)
        pos = start
        rows.add(row + 1)
        if start < end:
            continue  # already inside the previous range
        first, begin = row, start
        if start == end and out:
            # Adjacent statements share one range: tree-sitter pays per range.
            prev = out.pop()
            first, begin = prev.start_point[0], prev.start_byte
        end = _statement_end(source, start)
        last = row + source.count(b"\n", start, end)
        out.append(Range(Point(first, 0), Point(last, 0), begin, end))
    return out, rows


def _is_candidate(source: bytes, line_start: int, at: int) -> bool:
    before = source[line_start:at]
    if before.endswith(b"__") or source.startswith(b"_module", at + 6):
        return _DYNAMIC.match(source, at - 2 if before.endswith(b"__") else at) is not None
    if not _AFTER.match(source, at + 6):
        return False
    if _BEFORE.match(before) or _FROM.match(before):
        return True
    if source[max(0, line_start - 3) : line_start].rstrip(b"\r\n").endswith(b"\\"):
        # `from \` + newline + `x import y`: a statement split where the quick pass can't
        # see its start. Rare; the full parse reads it.
        raise _FullParse
    return False


class _FullParse(Exception):
    pass


def _statement_end(source: bytes, start: int) -> int:
    depth, pos = 0, start
    while pos < len(source):
        nl = source.find(b"\n", pos)
        nl = len(source) if nl < 0 else nl
        line = source[pos:nl]
        depth += sum(line.count(c) for c in (b"(", b"[", b"{"))
        depth -= sum(line.count(c) for c in (b")", b"]", b"}"))
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


def _last_assign(text: bytes) -> int:
    # Position of the last `=` that is not part of a comparison; every word before it may be
    # a target (a superset: keyword arguments and subscripts come along, harmlessly).
    if b"=" not in text:
        return -1
    found = -1
    for match in _ASSIGN.finditer(text):
        found = match.start()
    return found


def _local_names(source: bytes) -> frozenset[str]:
    # Names bound at module level by anything but an import. Only top-level statements and
    # the blocks of top-level if/try/with/for are read: a def or class body binds nothing
    # at module level (except through `global`, scanned for separately).
    names: set[bytes] = set()
    starts = [0, *(m.end() for m in _TOP.finditer(source)), len(source)]
    for begin, end in itertools.pairwise(starts):
        defined = _DEF.match(source, begin)
        if defined:
            names.add(defined.group(1))
        elif source[begin : begin + 1] != b"@":
            _scan_lines(source[begin:end], names)
    for match in _GLOBAL.finditer(source):
        names.update(_WORD.findall(match.group(1)))
    at = source.find(b":=")
    while at >= 0:
        # The word right before each `:=` (a walrus target), found without a costly regex.
        names.update(_WORD.findall(source, max(0, at - 80), at)[-1:])
        at = source.find(b":=", at + 2)
    return frozenset(n.decode("utf-8", "replace") for n in names)


def _scan_lines(chunk: bytes, names: set[bytes]) -> None:
    carry = b""
    for line in chunk.split(b"\n"):
        if line.endswith(b"\\"):
            carry += line[:-1]  # a backslash continuation: judge the joined line
            continue
        text, carry = (carry + line).lstrip(), b""
        if not text or text[0] == 35:  # blank or comment
            continue
        defined = _DEF.match(text)
        if defined:
            names.add(defined.group(1))
            continue
        eq = _last_assign(text)
        if eq > 0:
            names.update(_WORD.findall(text, 0, eq))
        if text.startswith((b"for ", b"async for ")):
            names.update(_WORD.findall(text))
        if b" as " in text and _WITH.match(text):
            names.update(_WORD.findall(text, text.index(b" as ")))
