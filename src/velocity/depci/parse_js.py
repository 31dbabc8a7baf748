"""TypeScript / JavaScript imports with tree-sitter: ESM, ``require``, ``import()``."""

from __future__ import annotations

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language
from tree_sitter import Node
from tree_sitter import Parser
from tree_sitter import Query
from tree_sitter import QueryCursor

from velocity.depci._ts import first_error
from velocity.depci._ts import line
from velocity.depci._ts import text
from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile

__all__ = ["JS_SUFFIXES", "JsParser"]

#: Every extension the JS parser registers for.
JS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")

_TS = Language(tree_sitter_typescript.language_typescript())
_TSX = Language(tree_sitter_typescript.language_tsx())
_JS = Language(tree_sitter_javascript.language())
_COMMON = """
    (import_statement source: (string) @src) @stmt
    (export_statement source: (string) @src) @stmt
    (call_expression function: (identifier) @fn (#eq? @fn "require")
                     arguments: (arguments . (string) @src))
    (call_expression function: (import) arguments: (arguments . (string) @src))
"""
_TS_ONLY = "(import_require_clause source: (string) @src)"
_LANGS = {
    ".ts": _TS, ".mts": _TS, ".cts": _TS, ".tsx": _TSX,
    ".js": _TSX, ".jsx": _TSX, ".mjs": _TSX, ".cjs": _TSX,
}  # fmt: skip
# JS files often carry JSX and Flow-free TS-isms; the TSX grammar parses plain JS and JSX alike.
_QUERIES = {
    id(_TS): Query(_TS, _COMMON + _TS_ONLY),
    id(_TSX): Query(_TSX, _COMMON + _TS_ONLY),
    id(_JS): Query(_JS, _COMMON),
}


class JsParser:
    """The :class:`~velocity.depci.parse.LanguageParser` for TS/JS files.

    .. versionadded:: 0.1
    """

    version = "js-1"

    def __init__(self) -> None:
        self._parsers: dict[int, Parser] = {}

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        """Parse one TS/JS file; *suffix* picks the grammar. Always a full parse."""
        language = _LANGS.get(suffix, _TSX)
        root = self._parser(language).parse(source).root_node
        if root.has_error and language is _TSX and suffix not in (".tsx", ".ts"):
            # Plain JS can use syntax the TSX grammar reads as generics; retry with the JS grammar.
            retry = self._parser(_JS).parse(source).root_node
            if not retry.has_error:
                root, language = retry, _JS
        result = ParsedFile(imports=_imports(root, _QUERIES[id(language)]))
        if root.has_error:
            result.error = first_error(root)
        return result

    def _parser(self, language: Language) -> Parser:
        parser = self._parsers.get(id(language))
        if parser is None:
            parser = self._parsers[id(language)] = Parser(language)
        return parser


def _imports(root: Node, query: Query) -> list[ImportRef]:
    refs: list[ImportRef] = []
    for _, caps in QueryCursor(query).matches(root):
        src = caps["src"][0]
        spec = "".join(text(c) for c in src.named_children if c.type == "string_fragment")
        if not spec:
            continue
        stmt = caps.get("stmt")
        type_only = stmt is not None and any(c.type == "type" for c in stmt[0].children)
        refs.append(ImportRef(spec, "from" if stmt else "import", line(src), type_only=type_only))
    refs.sort(key=lambda r: r.line)
    return refs
