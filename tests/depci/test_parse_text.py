from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.depci.parse_python import PythonParser
from velocity.depci.parse_python_quick import quick_parse
from velocity.depci.parse_python_text import local_names

from .test_parse_quick import SNIPPETS

PARSER = PythonParser()

# Forms the text reader takes, and forms it must hand to tree-sitter.
TEXT_FORMS = [
    "import a.b.c as abc, d",
    "from . import (\n    one,\n    two as deux,\n)",
    "from ..up.mod import x as y, z  # note",
    "from pkg import (a,  # why\n    b)",
    "from pkg import \\\n    c",
    "from .star import *",
    "np = import_module('numpy')",
    "tf = tensorflow = importlib.import_module(\"tensorflow\", import_kwargs={'a': 1})",
    "x = __import__('legacy') or import_module('other')",
    "if x:\n    import y\nelse:\n    from z import w",
    "class K:\n    from .inside import attr",
    "@dec\ndef f():\n    import local_only",
    "\x0c\nimport after_form_feed",
]
ODD_FORMS = [
    "x = 1; import semi",
    "if cond: import inline",
    "from x import None",
    "from x import match",
    "import a . b",
    "import café",
    "namespace.update({'math': __import__('math')})",
    "mod = foo.import_module('a')",
    "mod = import_module('a' + b)",
    "mod = import_module(\n    'split')",
    "x = import_module('a'); import b",
    ">>> numpy = import_module('numpy')",
    "m = import_module('a')  # café",
    "import None",
    "from  import x",
    "from x import (a,\n    b,  # note: import c\n)",
]


def assert_same_as_tree_sitter(source: bytes) -> None:
    text = quick_parse(PARSER._quick, source)
    tree = quick_parse(PARSER._quick, source, read_text=False)
    assert text == tree


@pytest.mark.parametrize("form", TEXT_FORMS + ODD_FORMS)
def test_each_form_reads_as_tree_sitter_reads_it(form: str) -> None:
    assert_same_as_tree_sitter(form.encode() + b"\n")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + TEXT_FORMS + ODD_FORMS), min_size=1, max_size=12))
def test_text_reader_agrees_with_tree_sitter(parts: list[str]) -> None:
    assert_same_as_tree_sitter("\n".join(parts).encode() + b"\n")


def test_text_reader_agrees_on_this_repository_sources() -> None:
    root = Path(__file__).resolve().parents[2]
    files = sorted([*(root / "src").rglob("*.py"), *(root / "tests").rglob("*.py")])
    assert files
    for path in files:
        assert_same_as_tree_sitter(path.read_bytes())


def test_a_from_continued_onto_the_import_line_is_not_a_plain_import() -> None:
    source = b"from pkg.mod \\\n    import Name\n"
    quick = PARSER.parse(source, ".py")
    assert [(r.spec, r.style, r.names) for r in quick.imports] == [("pkg.mod", "from", ("Name",))]


def test_a_string_continued_onto_an_import_line_keeps_the_quick_pass() -> None:
    quick = PARSER.parse(b'TEMPLATE = """\\\nfrom setuptools import setup\n"""\n', ".py")
    assert quick.checked is False
    assert [r.spec for r in quick.imports] == ["setuptools"]


def test_local_names_read_only_lines_that_can_bind() -> None:
    source = b'"""Doc = not code?"""\nX = 1\nif a:\n    for i in y: pass\ndef f():\n    z = 2\n'
    assert {"X", "i", "y", "Doc", "f"} <= local_names(source)
    assert "z" not in local_names(source)


def test_local_names_through_global_and_continuations() -> None:
    source = b"def f():\n    global G, H\n    G = 1\nA = \\\n    1\nB, \\\n  C = 2, 3\n"
    assert {"f", "G", "H", "A", "B", "C"} <= local_names(source)


@pytest.mark.parametrize("form", TEXT_FORMS)
def test_common_forms_need_no_tree_sitter(form: str) -> None:
    from velocity.depci.parse_python_quick import _candidates
    from velocity.depci.parse_python_text import read_statements

    source = form.encode() + b"\n"
    assert read_statements(source, _candidates(source)) is not None
