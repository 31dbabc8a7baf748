"""Cutting a module into function blocks and a module block (coverage precision's diff)."""

from __future__ import annotations

import pytest

from velocity.depci.blocks import parse_blocks
from velocity.depci.coverage_store import blob_id

BASE = '''"""Doc."""
import os

LIMIT = 3


def f(x, y=LIMIT):
    return x + y


class K:
    size = 2

    def m(self):
        def inner():
            return 1
        return inner()

    @property
    def p(self):
        return self.size
'''


def test_functions_and_methods_are_blocks_nested_functions_are_not() -> None:
    blocks = parse_blocks(BASE)
    assert set(blocks.functions) == {"f", "K.m", "K.p"}
    lines = blocks.line_map()
    assert lines[8] == "f"
    assert lines[16] == "K.m"  # the nested function's body belongs to its enclosing block
    assert 7 not in lines  # the def line runs at import
    assert 2 in blocks.import_lines


def test_formatting_and_comments_change_nothing() -> None:
    edited = BASE.replace("return x + y", "return (x +\n            y)  # sum").replace(
        "LIMIT = 3", "LIMIT = 3  # three"
    )
    old, new = parse_blocks(BASE), parse_blocks(edited)
    assert old.module == new.module
    assert {n: b.fingerprint for n, b in old.functions.items()} == {
        n: b.fingerprint for n, b in new.functions.items()
    }


def test_a_body_change_touches_only_its_block() -> None:
    old, new = parse_blocks(BASE), parse_blocks(BASE.replace("return 1", "return 2"))
    assert old.module == new.module
    changed = {n for n in old.functions if old.functions[n] != new.functions[n]}
    assert changed == {"K.m"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("LIMIT = 3", "LIMIT = 4"),  # a constant
        ("def f(x, y=LIMIT):", "def f(x, y=None):"),  # a default value
        ("    @property\n", ""),  # a decorator
        ("    size = 2", "    size = 3"),  # a class body
        ("import os", "import sys"),  # an import
    ],
)
def test_module_level_changes_change_the_module_block(old: str, new: str) -> None:
    assert old in BASE
    assert parse_blocks(BASE).module != parse_blocks(BASE.replace(old, new)).module


def test_deleting_or_renaming_a_function_changes_the_module_block() -> None:
    deleted = BASE.replace("def f(x, y=LIMIT):\n    return x + y\n", "")
    renamed = BASE.replace("def f(", "def g(")
    assert parse_blocks(deleted).module != parse_blocks(BASE).module
    assert parse_blocks(renamed).module != parse_blocks(BASE).module


@pytest.mark.parametrize(
    "source",
    [
        'def f():\n    """Only a docstring."""\n',  # a call runs no line of its own
        "def f(): return 1\n",  # the body shares the def line
        "def f(\n    a=len('x')): return a\n",  # a default shares the body's line
        "import functools\n\n@functools.lru_cache\ndef f(x):\n    return x\n",  # calls hidden
        "@cached_property\ndef f(self):\n    return 1\n",
    ],
)
def test_blocks_a_record_cannot_vouch_for_are_not_measurable(source: str) -> None:
    assert parse_blocks(source).functions["f"].measurable is False


def test_plain_functions_are_measurable() -> None:
    blocks = parse_blocks(BASE)
    assert all(b.measurable for b in blocks.functions.values())


def test_a_second_definition_of_a_name_gets_its_own_block() -> None:
    source = "import sys\nif sys.platform:\n    def f():\n        return 1\nelse:\n"
    source += "    def f():\n        return 2\n"
    assert set(parse_blocks(source).functions) == {"f", "f#2"}


def test_syntax_errors_raise() -> None:
    with pytest.raises(SyntaxError):
        parse_blocks("def f(:\n")


def test_blob_id_is_gits() -> None:
    # `git hash-object` of "hello\n"
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
