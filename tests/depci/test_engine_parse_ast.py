from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import velocity.depci
from velocity.depci.parse import PARSERS
from velocity.depci.parse_python import PythonParser
from velocity.depci.parse_python_ast import ast_parse

SNIPPETS = [
    "from __future__ import annotations\nimport a.b as c, d\nfrom .e import (f as g, h)\n",
    "from .. import *\nfrom ...x.y import z\nimport importlib\n",
    "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
    "else:\n    from p import q\nfinally:\n    from r import s\n",
    "if X:\n    from a import b\nelif Y:\n    from c import d\nelse:\n    from e import *\n",
    "with ctx:\n    import w\nfor i in x:\n    import notbound\nwhile 0:\n    import nb2\n",
    "def f():\n    import inner\n    importlib.import_module('dyn.mod')\n    __import__('..rel')\n",
    "import_module(f'plain')\nimport_module(f'{x}')\nimport_module('has space')\n"
    "import_module(name)\nimport_module('')\nx.import_module('not.this')\n",
    "pytest_plugins = ['p1', ('p2', 'p3')]\nq = pytest_plugins = 'p4'\n"
    "pytest_plugins: list[str] = ['p5']\n",
    "a = b = 1\nc, (d, [e, *f]) = g\nh += 1\ni: int\nj.k = 1\nl[0] = 2\n"
    "@dec\nclass C: pass\nasync def co(): pass\n",
    "import_module(b'bytes.mod')\nx = '\\d'\n",
]


def assert_covers(source: bytes) -> None:
    full = PythonParser().parse(source, ".py", strict=True)
    mine = ast_parse(source)
    assert mine is not None
    assert set(full.imports) <= set(mine.imports)
    assert full.local_names <= mine.local_names
    assert {k: sorted(v) for k, v in full.bindings.items()} == {
        k: sorted(v) for k, v in mine.bindings.items()
    }
    assert (mine.star, mine.error, mine.checked) == (full.star, None, True)


@pytest.mark.parametrize("source", SNIPPETS)
def test_ast_parse_covers_tree_sitter_on_snippets(source: str) -> None:
    assert_covers(source.encode())


def test_ast_parse_covers_tree_sitter_on_this_repository() -> None:
    package = Path(velocity.depci.__file__).parents[1]
    for path in sorted(package.rglob("*.py")):
        assert_covers(path.read_bytes())


def test_sort_order_is_by_position() -> None:
    result = ast_parse(b"import b; import a\nfrom c import d\n")
    assert result is not None
    assert [r.spec for r in result.imports] == ["b", "a", "c"]


@pytest.mark.parametrize("source", [b"def f(:\n    pass\n", b"x = 1\x00\n", b"match x:\n  case"])
def test_rejected_source_goes_to_tree_sitter_with_its_error(source: bytes) -> None:
    assert ast_parse(source) is None
    result = PARSERS[".py"].parse(source, ".py", strict=True)
    assert result.error is not None
    assert result.error.startswith("line ")


def test_a_valid_changed_file_loads_no_grammar() -> None:
    code = (
        "import sys\nfrom velocity.depci.parse import parse_source\n"
        "r = parse_source('m.py', b'import os\\nfrom . import x\\n', strict=True)\n"
        "assert [i.spec for i in r.imports] == ['os', ''], r\n"
        "assert 'tree_sitter' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_big_changed_file_goes_to_tree_sitter() -> None:
    source = b"import os\n" + b"x = 1\n" * 20_000
    result = PARSERS[".py"].parse(source, ".py", strict=True)
    assert [r.spec for r in result.imports] == ["os"]
    assert (result.error, result.checked, result.local_names) == (None, True, frozenset({"x"}))


NESTED = """\
import top
class C:
    import in_class
    def m(self):
        async def inner():
            async for x in y:
                import in_async_for
            else:
                import in_for_else
            async with z:
                from w import v
        lam = lambda: 1
match cmd:
    case [a]:
        import in_case
    case _:
        from .rel import r
try:
    pass
except* E:
    import in_star
while 0:
    pass
else:
    import in_while_else
"""


@pytest.mark.parametrize("source", [NESTED, *SNIPPETS])
def test_statement_walk_finds_what_the_full_walk_finds(source: str) -> None:
    # A source naming import_module (a comment will do) takes the full walk.
    quick = ast_parse(source.encode())
    full = ast_parse(source.encode() + b"\n# import_module\n")
    assert quick is not None
    assert full is not None
    assert quick.imports == full.imports
