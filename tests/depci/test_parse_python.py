from __future__ import annotations

from velocity.depci.model import Binding
from velocity.depci.model import ImportRef
from velocity.depci.model import ParsedFile
from velocity.depci.parse import language_of
from velocity.depci.parse import parse_source

SOURCE = b"""\
import a.b.c, d as e
from . import x as y
from ..m import (a2, b as c)
from .star import *
try:
    import z
except ImportError:
    z = None
def f():
    import inner
    importlib.import_module("q.r")
    __import__("w")
    import_module(".rel", __name__)
    importlib.import_module(f"x{y}")
    importlib.import_module(name)
pytest_plugins = ["plug.one", "plug.two"]
class K: pass
X, Y = 1, 2
"""


def parse(src: bytes) -> ParsedFile:
    result = parse_source("mod.py", src)
    assert result is not None
    return result


def specs(result: ParsedFile) -> list[tuple[str, str, int]]:
    return [(r.spec, r.style, r.level) for r in result.imports]


def test_every_import_form_is_found() -> None:
    assert specs(parse(SOURCE)) == [
        ("a.b.c", "import", 0),
        ("d", "import", 0),
        ("", "from", 1),
        ("m", "from", 2),
        ("star", "from", 1),
        ("z", "import", 0),
        ("inner", "import", 0),
        ("q.r", "dynamic", 0),
        ("w", "dynamic", 0),
        ("rel", "dynamic", 1),
        ("plug.one", "plugin", 0),
        ("plug.two", "plugin", 0),
    ]


def test_from_import_names_and_lines() -> None:
    refs = parse(SOURCE).imports
    assert refs[2] == ImportRef("", "from", 2, 1, ("x",))
    assert refs[3].names == ("a2", "b")
    assert refs[4].names == ("*",)


def test_module_level_bindings_and_locals() -> None:
    result = parse(SOURCE)
    assert result.bindings["y"] == [Binding("", 1, "x")]
    assert result.bindings["c"] == [Binding("m", 2, "b")]
    assert result.bindings["a"] == [Binding("a")]
    assert result.bindings["e"] == [Binding("d")]
    assert "inner" not in result.bindings  # function scope binds nothing at module level
    assert {"K", "f", "X", "Y", "z", "pytest_plugins"} <= result.local_names
    assert result.star


def test_pytest_plugins_as_a_plain_string() -> None:
    assert specs(parse(b'pytest_plugins = "pytester"\n')) == [("pytester", "plugin", 0)]


def test_conditional_reexports_keep_every_source() -> None:
    src = b"try:\n    from .fast import X\nexcept ImportError:\n    from .slow import X\n"
    assert parse(src).bindings["X"] == [Binding("fast", 1, "X"), Binding("slow", 1, "X")]


def test_syntax_error_is_reported_but_imports_survive() -> None:
    result = parse(b"import ok\ndef f(:\n    pass\n")
    assert result.error is not None
    assert result.error.startswith("line 2")
    assert specs(result) == [("ok", "import", 0)]


def test_clean_file_has_no_error() -> None:
    assert parse(b"import os\n").error is None


def test_registry_by_extension() -> None:
    assert language_of("a/b.py") is not None
    assert language_of("a/b.tsx") is not None
    assert language_of("README.md") is None
    assert parse_source("README.md", b"# hi") is None


def test_round_trip_through_json() -> None:
    result = parse(SOURCE)
    assert ParsedFile.from_json(result.to_json()) == result
