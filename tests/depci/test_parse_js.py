from __future__ import annotations

import pytest

from velocity.depci.parse import parse_source

SOURCE = b"""\
import type {A} from "./a";
import {type B} from "./b";
import "./side";
import def, * as ns from "pkg/sub";
export * from "./star";
export type {T} from "./t";
export {u} from './u';
const r = require("./r");
async function f() { const m = await import("./m"); }
const dyn = require(name);
"""


@pytest.mark.parametrize("suffix", [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"])
def test_every_import_form(suffix: str) -> None:
    result = parse_source("x" + suffix, SOURCE)
    assert result is not None
    assert result.error is None
    found = [(r.spec, r.type_only) for r in result.imports]
    assert found == [
        ("./a", True),
        ("./b", False),
        ("./side", False),
        ("pkg/sub", False),
        ("./star", False),
        ("./t", True),
        ("./u", False),
        ("./r", False),
        ("./m", False),
    ]


def test_typescript_import_equals_require() -> None:
    result = parse_source("x.ts", b'import x = require("./req");\n')
    assert result is not None
    assert [r.spec for r in result.imports] == ["./req"]


def test_jsx_in_js_and_tsx() -> None:
    for name in ("a.jsx", "a.js", "a.tsx"):
        result = parse_source(name, b'import React from "react";\nexport const A = () => <div/>;\n')
        assert result is not None
        assert result.error is None
        assert [r.spec for r in result.imports] == ["react"]


def test_plain_js_generic_looking_call_parses() -> None:
    result = parse_source("a.js", b'const x = a < b > (c);\nimport y from "./y";\n')
    assert result is not None
    assert result.error is None
    assert [r.spec for r in result.imports] == ["./y"]


def test_broken_file_reports_error() -> None:
    result = parse_source("a.ts", b'import {a from "./a";\nconst = ;\n')
    assert result is not None
    assert result.error is not None
