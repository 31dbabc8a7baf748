"""Python imports with tree-sitter: statements, dynamic imports, ``pytest_plugins``."""

from __future__ import annotations

import tree_sitter_python
from tree_sitter import Language
from tree_sitter import Node
from tree_sitter import Parser
from tree_sitter import Query
from tree_sitter import QueryCursor

from velocity.depci._ts import first_error
from velocity.depci._ts import line
from velocity.depci._ts import text
from velocity.depci.model import Binding
from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile

__all__ = ["PythonParser"]

_LANGUAGE = Language(tree_sitter_python.language())
_QUERY = Query(
    _LANGUAGE,
    """
    (import_statement) @import
    (import_from_statement) @from
    (call function: [(identifier) (attribute)] @fn
          arguments: (argument_list . (string) @arg))
    (assignment left: (identifier) @lhs (#eq? @lhs "pytest_plugins") right: (_) @rhs)
    """,
)
_DYNAMIC = {"import_module", "importlib.import_module", "__import__"}
# Statements whose bodies still run at module level, so their imports bind module names.
_NESTED = {
    "if_statement", "try_statement", "with_statement", "elif_clause", "else_clause",
    "except_clause", "except_group_clause", "finally_clause", "block",
}  # fmt: skip


class PythonParser:
    """The :class:`~velocity.depci.parse.LanguageParser` for ``.py`` files.

    .. versionadded:: 0.1
    """

    version = "py-3"

    def __init__(self) -> None:
        self._parser = Parser(_LANGUAGE)
        self._quick = Parser(_LANGUAGE)

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        """Parse one Python file.

        Unless *strict*, a quick pass parses only the lines that can hold imports and falls
        back to the full parse whenever its self-check fails; it reports no syntax errors.
        """
        if not strict:
            from velocity.depci.parse_python_quick import quick_parse

            quick = quick_parse(self._quick, source)
            if quick is not None:
                return quick
        tree = self._parser.parse(source)
        root = tree.root_node
        result = ParsedFile(imports=collect_imports(root))
        locals_: set[str] = set()
        _walk_module(root, result, locals_)
        result.local_names = frozenset(locals_)
        if root.has_error:
            result.error = first_error(root)
        return result


def collect_imports(
    root: Node, statements: list[tuple[Node, ImportRef | None]] | None = None
) -> list[ImportRef]:
    # *statements* gets each import statement, with its ref when a from-import (for bind).
    refs: list[ImportRef] = []
    for _, caps in QueryCursor(_QUERY).matches(root):
        if "import" in caps:
            refs.extend(_plain_import(caps["import"][0]))
            if statements is not None:
                statements.append((caps["import"][0], None))
        elif "from" in caps:
            ref = _from_import(caps["from"][0])
            refs.append(ref)
            if statements is not None:
                statements.append((caps["from"][0], ref))
        elif "fn" in caps and text(caps["fn"][0]) in _DYNAMIC:
            refs.extend(_literal_import(caps["arg"][0], "dynamic"))
        elif "rhs" in caps:
            refs.extend(_plugins(caps["rhs"][0]))
    refs.sort(key=lambda r: r.line)
    return refs


def _plain_import(node: Node) -> list[ImportRef]:
    return [
        ImportRef(_dotted(n), "import", line(node)) for n in node.children_by_field_name("name")
    ]


def _dotted(node: Node) -> str:
    # `a.b as c` -> "a.b"; a dotted_name's text may contain whitespace or comments in odd code.
    if node.type == "aliased_import":
        node = node.child_by_field_name("name") or node
    plain = text(node)
    if plain.replace(".", "").replace("_", "").isalnum():
        return plain  # the common case, without walking the children
    return ".".join(text(c) for c in node.named_children if c.type == "identifier") or plain


def _from_import(node: Node) -> ImportRef:
    module = node.child_by_field_name("module_name")
    level, spec = 0, ""
    if module is not None and module.type == "relative_import":
        for part in module.named_children:
            if part.type == "import_prefix":
                level = len(text(part).strip())
            else:
                spec = _dotted(part)
    elif module is not None:
        spec = _dotted(module)
    names = tuple(_dotted(n) for n in node.children_by_field_name("name"))
    if any(c.type == "wildcard_import" for c in node.named_children):
        names = ("*",)
    return ImportRef(spec, "from", line(node), level, names)


def _literal_import(node: Node, style: str) -> list[ImportRef]:
    if any(c.type == "interpolation" for c in node.named_children):
        return []
    value = "".join(text(c) for c in node.named_children if c.type == "string_content")
    if not value or any(ch.isspace() for ch in value):
        return []
    stripped = value.lstrip(".")
    level = len(value) - len(stripped)
    return [ImportRef(stripped, "dynamic" if style == "dynamic" else "plugin", line(node), level)]


def _plugins(node: Node) -> list[ImportRef]:
    if node.type == "string":
        return _literal_import(node, "plugin")
    if node.type in ("list", "tuple", "parenthesized_expression"):
        return [r for c in node.named_children for r in _plugins(c)]
    return []


def _walk_module(node: Node, out: ParsedFile, locals_: set[str]) -> None:
    for child in node.named_children:
        kind = child.type
        if kind == "import_statement":
            _bind_import(child, out)
        elif kind == "import_from_statement":
            _bind_from(child, out)
        elif kind in ("function_definition", "class_definition"):
            locals_.add(text(child.child_by_field_name("name")))
        elif kind == "decorated_definition":
            inner = child.child_by_field_name("definition")
            locals_.add(text(inner.child_by_field_name("name") if inner else None))
        elif kind == "expression_statement":
            for sub in child.named_children:
                if sub.type in ("assignment", "augmented_assignment"):
                    _targets(sub.child_by_field_name("left"), locals_)
        elif kind in _NESTED:
            _walk_module(child, out, locals_)


def _targets(node: Node | None, locals_: set[str]) -> None:
    if node is None:
        return
    if node.type == "identifier":
        locals_.add(text(node))
    elif node.type in ("pattern_list", "tuple_pattern", "list_pattern"):
        for c in node.named_children:
            _targets(c, locals_)


def bind(node: Node, out: ParsedFile, ref: ImportRef | None = None) -> None:
    # Record the module-level names an import statement binds (*ref*: its from-import, known).
    if node.type == "import_statement":
        _bind_import(node, out)
    else:
        _bind_from(node, out, ref)


def _bind_import(node: Node, out: ParsedFile) -> None:
    for name in node.children_by_field_name("name"):
        module = _dotted(name)
        if name.type == "aliased_import":
            alias = text(name.child_by_field_name("alias"))
            out.bindings.setdefault(alias, []).append(Binding(module))
        else:
            top = module.split(".")[0]
            out.bindings.setdefault(top, []).append(Binding(top))


def _bind_from(node: Node, out: ParsedFile, ref: ImportRef | None = None) -> None:
    ref = ref if ref is not None else _from_import(node)
    if ref.names == ("*",):
        out.star = True
        return
    for orig, name in zip(ref.names, node.children_by_field_name("name"), strict=True):
        alias = name.child_by_field_name("alias") if name.type == "aliased_import" else None
        bound = text(alias) if alias is not None else orig
        out.bindings.setdefault(bound, []).append(Binding(ref.spec, ref.level, orig))
