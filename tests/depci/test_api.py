from __future__ import annotations

import subprocess
import sys

import pytest

import velocity.depci as depci


def test_every_public_name_resolves() -> None:
    for name in depci.__all__:
        assert getattr(depci, name) is not None


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = depci.nope  # type: ignore[attr-defined]


def test_cli_import_loads_no_grammar() -> None:
    # A no-change run never parses: the grammars must not load just because the CLI did.
    code = "import sys, velocity.depci.cli\nprint('tree_sitter' in sys.modules or '')\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_parser_versions_match_the_real_parsers() -> None:
    from velocity.depci.parse import PARSERS
    from velocity.depci.parse import LazyParser

    for suffix, parser in PARSERS.items():
        lazy = getattr(parser, "tree_sitter", parser)  # .py: Python's own parser first
        assert isinstance(lazy, LazyParser)
        assert lazy.version == parser.version
        lazy.parse(b"", suffix)  # loads the real parser and checks its version


def test_registry_covers_every_js_suffix() -> None:
    from velocity.depci.parse import PARSERS
    from velocity.depci.parse_js import JS_SUFFIXES

    assert set(PARSERS) == {".py", *JS_SUFFIXES}
