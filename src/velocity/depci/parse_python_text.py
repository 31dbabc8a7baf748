"""The quick pass's own reader: import statements in their plain forms, and local names.

Nearly every import statement is ``import a.b as c, d`` or ``from .a import (b as c, d)``,
maybe with comments and continuations. Those, and ``x = import_module("lit")`` lines, are
read here with regular expressions, for the same :class:`ImportRef` and bindings that
tree-sitter's parse of the statement gives (the commonest forms by one match from the line's
start, remembered by line: a project repeats its import lines). Anything else
(``x = 1; import y``, keywords as names, a call in an odd place, non-ASCII) makes
:func:`read_statements` give up on the file, which then goes to tree-sitter: never a guess.
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import TypeAlias

from velocity.depci.model import Binding
from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile

if TYPE_CHECKING:
    from velocity.depci.parse_python_quick import Candidate

__all__ = [
    "Statement",
    "bind_statement",
    "local_names",
    "read_statements",
    "simple_statement",
    "top_starts",
]

#: ``(spec, level, ((name, alias), ...), is_from)`` of one import statement.
Statement: TypeAlias = tuple[str, int, tuple[tuple[str, str], ...], bool]

_ID = rb"(?!as\b)[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = _ID + rb"(?:\." + _ID + rb")*"


def _names(item: bytes, space: bytes) -> bytes:
    # `item (as alias)?` separated by commas, with *space* between tokens.
    one = item + rb"(?:" + space + rb"+as" + space + rb"+" + _ID + rb")?"
    return one + rb"(?:" + space + rb"*," + space + rb"*" + one + rb")*"


_END = rb"[ \t\r\f]*\n?\Z"
_PLAIN = re.compile(rb"import[ \t]+(" + _names(_DOTTED, rb"[ \t]") + rb")" + _END)
_FROM = re.compile(
    rb"from[ \t]+(\.*)[ \t]*(" + _DOTTED + rb")?[ \t]+import"
    rb"(?:[ \t]*(\*)|[ \t]*\(\s*(" + _names(_ID, rb"\s") + rb")\s*,?\s*\)"
    rb"|[ \t]+(" + _names(_ID, rb"[ \t]") + rb"))" + _END
)
# One whole statement in the commonest forms, matched from its line's start: no comment
# inside the brackets, and none after them that _statement_end would read (brackets, `\`).
_SIMPLE = re.compile(
    rb"[ \t]*(?:import[ \t]+(" + _names(_DOTTED, rb"[ \t]") + rb")"
    rb"|from[ \t]+(?!__future__\b)(\.*)(" + _DOTTED + rb")?[ \t]+import"
    rb"(?:[ \t]+(" + _names(_ID, rb"[ \t]") + rb")"
    rb"|[ \t]*\(\s*(" + _names(_ID, rb"\s") + rb")\s*,?\s*\)|[ \t]*(\*)))"
    rb"[ \t\r\f]*(?:#[^\n()\[\]{}\\]*)?(?:\n|\Z)"
)
_SEEN: dict[bytes, Statement] = {}
_SEEN_MAX = 1 << 14  # bounded: a long-lived host (a pytest plugin) keeps it
_PAIR = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")
_WORDS = re.compile(r"\w+")
_COMMENT = re.compile(rb"#[^\n]*")
_CONTINUED = re.compile(rb"\\\r?\n")
# Words tree-sitter may not take as plain identifiers (`_`, gettext's, it does take).
_RESERVED = frozenset(keyword.kwlist) | {"match", "case", "type", "print", "exec"}
_NAMES_OK = _RESERVED - {"as"}  # in a list of names, `as` is the alias keyword
# A dynamic import call as tree-sitter's query sees it: the callee exactly one of these
# names, the first argument a plain string on the same line; after a plain assignment.
_CALL = re.compile(
    rb"(?<![\w.])(importlib\.import_module|import_module|__import__)"
    rb"\([ \t]*(['\"])([\w.]+)\2[ \t]*[,)]"
)
_BLANK = b" \t\r\x0b\x0c"  # what bytes.isspace() takes, but a newline
_CALL_NAME = re.compile(rb"import_module|__import__")
_KEYWORD = re.compile(rb"(?<![\w])import(?![\w])")
_LEAD = re.compile(rb"[ \t]*(?:[A-Za-z_][\w.]*[ \t]*=[ \t]*)*")


def read_statements(
    source: bytes, found: Sequence[Candidate]
) -> tuple[list[ImportRef], list[tuple[int, int, Statement]]] | None:
    """The imports of the candidate statements, and the statements that may bind names.

    Each statement comes with its (0-based) row and, if its line is indented, where that
    starts (else -1); ``None`` when any candidate is not in a form read here.
    """
    refs: list[ImportRef] = []
    bound: list[tuple[int, int, Statement]] = []
    produced: set[int] = set()
    for c in found:
        if not c.end:
            if c.row + 1 not in produced:
                return None  # inside the previous statement, on a line that gave no import
            continue
        statement = c.statement
        if statement is None:
            text = source[c.start : c.end]
            if c.dynamic:
                calls = _dynamic(text, c.row)
                if calls is None:
                    return None
                refs += calls
                produced.update(r.line for r in calls)
                continue
            statement = _statement(text)
            if statement is None:
                return None
        refs += _refs(statement, c.row + 1)
        produced.add(c.row + 1)
        bound.append((c.row, c.start if source[c.start] in _BLANK else -1, statement))
    return refs, bound


def _refs(statement: Statement, line: int) -> list[ImportRef]:
    # tuple.__new__: ImportRef's own __new__ is Python code, and this runs per import.
    spec, level, names, is_from = statement
    new = tuple.__new__
    if is_from:
        return [new(ImportRef, (spec, "from", line, level, tuple(n for n, _ in names), False))]
    return [new(ImportRef, (n, "import", line, 0, (), False)) for n, _ in names]


def _statement(text: bytes) -> Statement | None:
    body = text.lstrip(b" \t")
    if b"#" in body:
        body = _COMMENT.sub(b"", body)
    if b"\\" in body:
        body = _CONTINUED.sub(b" ", body)
    if body.startswith(b"import"):
        plain = _PLAIN.match(body)
        if plain is None:
            return None
        names = _pairs(plain.group(1))
        idents = [p for n, a in names for p in (*n.split("."), a)]
        return None if not _RESERVED.isdisjoint(idents) else ("", 0, names, False)
    match = _FROM.match(body)
    if match is None:
        return None
    dots, module, star, inner, bare = match.groups()
    if not dots and not module:
        return None
    spec = module.decode() if module else ""
    names = (("*", ""),) if star else _pairs(inner or bare)
    idents = [p for n, a in names for p in (n, a) if p and p != "*"] + spec.split(".")
    return None if not _RESERVED.isdisjoint(idents) else (spec, len(dots), names, True)


def simple_statement(source: bytes, start: int) -> tuple[Statement, int] | None:
    """The statement on the line at *start* when in a common form, and where it ends."""
    nl = source.find(b"\n", start)
    stop = len(source) if nl < 0 else nl + 1
    line = source[start:stop]
    known = _SEEN.get(line)
    if known is not None:
        return known, stop
    match = _SIMPLE.match(source, start)
    if match is None:
        return None
    plain, dots, module, bare, inner, _ = match.groups()
    names = (plain or bare or inner or b"").decode()
    spec = module.decode() if module else ""
    if not _NAMES_OK.isdisjoint(_WORDS.findall(names)) or not _RESERVED.isdisjoint(spec.split(".")):
        return None
    pairs = tuple(_PAIR.findall(names)) if names else (("*", ""),)
    if not plain and not dots and not module:
        return None
    statement = (spec, len(dots or b""), pairs, not plain)
    if match.end() == stop and len(_SEEN) < _SEEN_MAX:
        _SEEN[line] = statement  # the same line recurs across a project's files
    return statement, match.end()


def _pairs(group: bytes) -> tuple[tuple[str, str], ...]:
    # "a.b as c, d" -> (("a.b", "c"), ("d", ""))
    return tuple(_PAIR.findall(group.decode()))


def _dynamic(text: bytes, row: int) -> list[ImportRef] | None:
    if not text.isascii():
        return None
    calls = list(_CALL.finditer(text))
    ends = {m.end(1) for m in calls}
    if any(m.end() not in ends for m in _CALL_NAME.finditer(text)):
        return None  # `import_module(name)`, `x.import_module("a")`, ...
    if _KEYWORD.search(text):
        return None  # an import statement as well: `x = 1; import y`
    if not calls or _LEAD.match(text).end() != calls[0].start():  # type: ignore[union-attr]
        return None  # the first call where tree-sitter may not parse a call
    out = []
    for m in calls:
        value = m.group(3).decode()
        stripped = value.lstrip(".")
        line = row + 1 + text.count(b"\n", 0, m.start())
        out.append(ImportRef(stripped, "dynamic", line, len(value) - len(stripped)))
    return out


def bind_statement(out: ParsedFile, statement: Statement) -> None:
    """Record the module-level names *statement* binds, as ``parse_python.bind`` does."""
    spec, level, names, is_from = statement
    bindings, new = out.bindings, tuple.__new__
    if not is_from:
        for module, alias in names:
            if alias:
                bindings.setdefault(alias, []).append(new(Binding, (module, 0, "")))
            else:
                top = module.partition(".")[0]
                bindings.setdefault(top, []).append(new(Binding, (top, 0, "")))
    elif names[0][0] == "*":
        out.star = True
    else:
        for name, alias in names:
            bindings.setdefault(alias or name, []).append(new(Binding, (spec, level, name)))


_DEF = re.compile(rb"(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_ASSIGN = re.compile(rb"(?<![=!<>])=(?!=)")
_WORD = re.compile(rb"\w+")
_TOP = re.compile(rb"\n(?=[^ \t\r\n#])")  # a line that starts a top-level statement
_GLOBAL = re.compile(rb"global[ \t]+([^\n#;]+)")
_WITH = re.compile(rb"(?:async[ \t]+)?with\b|except\b|.*[:;][ \t]*with\b")
# A line that can bind a name: one with an `=` or ` as `, or a def/class/for statement.
_BINDING_LINE = re.compile(rb"=| as |^[ \t\r\x0b\x0c]*(?:def|class|async|for)", re.M)


def top_starts(source: bytes) -> list[int]:
    """Where the lines that start top-level statements start (0 included)."""
    return [0, *(m.end() for m in _TOP.finditer(source))]


def local_names(source: bytes, tops: list[int] | None = None) -> frozenset[str]:
    """Names bound at module level by anything but an import (a superset).

    Only top-level statements and the blocks of top-level if/try/with/for are read: a def
    or class body binds nothing at module level (except through ``global``, scanned for
    separately). *tops*: :func:`top_starts`, when known.
    """
    names: set[bytes] = set()
    starts = [*(tops if tops is not None else top_starts(source)), len(source)]
    for begin, end in itertools.pairwise(starts):
        defined = _DEF.match(source, begin)
        if defined:
            names.add(defined.group(1))
        elif source[begin : begin + 1] == b"@":
            continue
        elif source.find(b"\\\n", begin, end) >= 0 or source[end - 1 : end] == b"\\":
            _scan_lines(source[begin:end], names)
        else:
            _scan_binding_lines(source, begin, end, names)
    for match in _GLOBAL.finditer(source):
        names.update(_WORD.findall(match.group(1)))
    at = source.find(b":=")
    while at >= 0:
        # The word right before each `:=` (a walrus target), found without a costly regex.
        names.update(_WORD.findall(source, max(0, at - 80), at)[-1:])
        at = source.find(b":=", at + 2)
    if not names:
        return frozenset()
    return frozenset(b"\n".join(names).decode("utf-8", "replace").split("\n"))


def _scan_binding_lines(source: bytes, begin: int, end: int, names: set[bytes]) -> None:
    # _scan_lines for a chunk without continuations: only the lines that can bind are read.
    done = begin
    for match in _BINDING_LINE.finditer(source, begin, end):
        if match.start() < done:
            continue  # the rest of a line already read
        start = source.rfind(b"\n", begin, match.start()) + 1 or begin
        done = source.find(b"\n", match.start(), end)
        done = end if done < 0 else done
        _scan_line(source[start:done].lstrip(), names)


def _scan_lines(chunk: bytes, names: set[bytes]) -> None:
    carry = b""
    for line in chunk.split(b"\n"):
        if line.endswith(b"\\"):
            carry += line[:-1]  # a backslash continuation: judge the joined line
            continue
        text, carry = (carry + line).lstrip(), b""
        _scan_line(text, names)


def _scan_line(text: bytes, names: set[bytes]) -> None:
    if not text or text[0] == 35:  # blank or comment
        return
    defined = _DEF.match(text)
    if defined:
        names.add(defined.group(1))
        return
    eq = _last_assign(text)
    if eq > 0:
        names.update(_WORD.findall(text, 0, eq))
    if text.startswith((b"for ", b"async for ")):
        names.update(_WORD.findall(text))
    if b" as " in text and _WITH.match(text):
        names.update(_WORD.findall(text, text.index(b" as ")))


def _last_assign(text: bytes) -> int:
    # Position of the last `=` that is not part of a comparison; every word before it may be
    # a target (a superset: keyword arguments and subscripts come along, harmlessly).
    if b"=" not in text:
        return -1
    found = -1
    for match in _ASSIGN.finditer(text):
        found = match.start()
    return found
