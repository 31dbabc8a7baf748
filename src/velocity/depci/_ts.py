# Small helpers over the tree-sitter API shared by the language parsers.
from __future__ import annotations

from tree_sitter import Node


def text(node: Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode("utf-8", "replace")


def line(node: Node) -> int:
    return node.start_point[0] + 1


def first_error(root: Node) -> str:
    # Walk only into subtrees that contain an error; a broken file is rare, so this stays cheap.
    node = root
    while True:
        bad = [c for c in node.children if c.has_error or c.is_missing or c.type == "ERROR"]
        if not bad:
            break
        node = bad[0]
        if node.is_missing or node.type == "ERROR":
            break
    what = f"missing {node.type}" if node.is_missing else "syntax error"
    return f"line {line(node)}: {what}"
