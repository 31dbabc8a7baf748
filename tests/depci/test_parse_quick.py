from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.depci.model import ParsedFile
from velocity.depci.parse_python import PythonParser

PARSER = PythonParser()

SNIPPETS = [
    "import os",
    "import a.b.c as abc",
    "from . import sibling",
    "from ..up import (\n    one,\n    two as deux,\n)",
    "from pkg.mod import X",
    "from pkg.mod import \\\n    Y",
    "from .star import *",
    "x = 1; import semi",
    "if cond: import inline",
    "try:\n    from .fast import Z\nexcept ImportError:\n    from .slow import Z",
    "def f():\n    import local_only\n    return importlib.import_module('dyn.mod')",
    "class K:\n    from .inside import attr",
    "if TYPE_CHECKING:\n    from typing_mod import T",
    '"""Docs.\n\n    >>> from doc import example\n    from doc import block\n"""',
    "s = 'import nothing'",
    "X = 1",
    "a, b = c, d = 1, 2",
    "value: int = 3",
    "__import__('legacy')",
    "def g(\n    arg,\n):\n    from deep.er import thing",
    "with open('f') as handle:\n    import within",
    "@decorator\ndef h():\n    from decorated import x",
    "for loop_var in range(3):\n    pass",
    "async def co():\n    import in_async",
    "mod = importlib.import_module(name)",
    "from __future__ import annotations",
    "print('x'); from after_semi import q",
    "from \\\n    continued import name",
    "x = (1,\n     2); import after_tuple",
    "'''This docstring says: import (see below'''\nimport after_docstring",
]


def _keys(result: ParsedFile) -> set[tuple[str, str, int, tuple[str, ...], int]]:
    return {(r.spec, r.style, r.level, r.names, r.line) for r in result.imports}


def assert_quick_covers_full(source: bytes) -> None:
    full = PARSER.parse(source, ".py", strict=True)
    quick = PARSER.parse(source, ".py")
    assert quick.checked is False or quick == full
    assert _keys(full) <= _keys(quick)
    assert full.local_names <= quick.local_names
    assert quick.star >= full.star
    for name, bindings in full.bindings.items():
        assert name in quick.local_names or set(bindings) <= set(quick.bindings.get(name, [])), name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=12))
def test_quick_pass_never_sees_less_than_the_full_parse(parts: list[str]) -> None:
    assert_quick_covers_full("\n".join(parts).encode() + b"\n")


def test_quick_pass_on_this_repository_sources() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    files = sorted(src.rglob("*.py"))
    assert files
    for path in files:
        assert_quick_covers_full(path.read_bytes())


def test_quick_pass_reports_no_errors_and_is_marked_unchecked() -> None:
    quick = PARSER.parse(b"import ok\ndef broken(:\n", ".py")
    assert quick.checked is False
    assert quick.error is None
    assert [r.spec for r in quick.imports] == ["ok"]
    full = PARSER.parse(b"import ok\ndef broken(:\n", ".py", strict=True)
    assert full.checked
    assert full.error


@pytest.mark.parametrize(
    "source",
    [
        b"pytest_plugins = ['a']\n",
        b"import_module(\n    'split.call')\n",
        b"from \\\n    odd.layout import name\n",
    ],
)
def test_hard_cases_fall_back_to_the_full_parse(source: bytes) -> None:
    assert PARSER.parse(source, ".py").checked


def test_function_scope_imports_bind_nothing() -> None:
    quick = PARSER.parse(b"def f():\n    from a import b\nclass C:\n    import d\n", ".py")
    assert quick.bindings == {}
    assert [r.spec for r in quick.imports] == ["a", "d"]


def test_module_level_blocks_bind() -> None:
    src = b"try:\n    from .fast import X\nexcept ImportError:\n    from .slow import X\n"
    quick = PARSER.parse(src, ".py")
    assert [(b.module, b.name) for b in quick.bindings["X"]] == [("fast", "X"), ("slow", "X")]
