from __future__ import annotations

import json

from .conftest import Write
from .conftest import deps
from .conftest import graph_of


def test_seed_outcome_utils_reaches_main(tree: Write) -> None:
    root = tree({
        "utils.ts": "export const add = (a: number, b: number) => a + b;\n",
        "main.ts": 'import { add } from "./utils";\nconsole.log(add(1, 2));\n',
    })  # fmt: skip
    g = graph_of(root)
    assert deps(g, "main.ts") == {"utils.ts": True}
    assert g.graph.affected(["utils.ts"]) == {"utils.ts", "main.ts"}


def test_extensions_index_files_and_js_to_ts(tree: Write) -> None:
    root = tree({
        "src/a.tsx": "", "src/lib/index.ts": "", "src/esm.ts": "", "src/data.json": "{}",
        "src/plain.cjs": "", "src/dir/package.json": '{"main": "entry.js"}', "src/dir/entry.js": "",
        "src/main.ts": (
            'import "./a";\nimport "./lib";\nimport "./esm.js";\nimport d from "./data.json";\n'
            'const p = require("./plain.cjs");\nimport "./dir";\nimport "./nope";\n'
        ),
    })  # fmt: skip
    assert set(deps(graph_of(root), "src/main.ts")) == {
        "src/a.tsx", "src/lib/index.ts", "src/esm.ts", "src/data.json", "src/plain.cjs",
        "src/dir/entry.js",
    }  # fmt: skip


def test_type_only_edges_are_flagged(tree: Write) -> None:
    root = tree({"t.ts": "export type T = 1;\n", "m.ts": 'import type { T } from "./t";\n'})
    edge = graph_of(root).graph.forward["m.ts"]["t.ts"]
    assert edge.type_only
    assert edge.deep


def test_tsconfig_paths_baseurl_and_extends(tree: Write) -> None:
    root = tree({
        "tsconfig.base.json": json.dumps(
            {"compilerOptions": {"baseUrl": ".", "paths": {"@shared/*": ["libs/shared/*"]}}}
        ),
        "apps/web/tsconfig.json": (
            '{\n  // comment\n  "extends": "../../tsconfig.base.json",\n'
            '  "compilerOptions": {"strict": true,},\n}\n'
        ),
        "libs/shared/fmt.ts": "", "src/core/x.ts": "",
        "apps/web/main.ts": 'import "@shared/fmt";\nimport "src/core/x";\nimport "react";\n',
    })  # fmt: skip
    assert deps(graph_of(root), "apps/web/main.ts") == {
        "libs/shared/fmt.ts": True,
        "src/core/x.ts": True,
    }


def test_paths_relative_to_tsconfig_without_baseurl(tree: Write) -> None:
    root = tree({
        "pkg/tsconfig.json": json.dumps({"compilerOptions": {"paths": {"~/*": ["./src/*"]}}}),
        "pkg/src/util.ts": "", "pkg/src/deep/main.ts": 'import "~/util";\n',
    })  # fmt: skip
    assert deps(graph_of(root), "pkg/src/deep/main.ts") == {"pkg/src/util.ts": True}


def test_workspace_packages_by_name_with_exports(tree: Write) -> None:
    root = tree({
        "package.json": json.dumps({"name": "root", "workspaces": ["packages/*"]}),
        "packages/core/package.json": json.dumps({
            "name": "@acme/core",
            "exports": {".": {"import": "./src/index.ts", "require": "./dist/index.cjs"},
                        "./feature/*": "./src/features/*.ts"},
        }),
        "packages/core/src/index.ts": "", "packages/core/src/features/x.ts": "",
        "packages/ui/package.json": json.dumps({"name": "ui", "main": "dist/index.js"}),
        "packages/ui/src/index.ts": "", "packages/ui/src/button.ts": "",
        "packages/app/main.ts": (
            'import "@acme/core";\nimport "@acme/core/feature/x";\n'
            'import "ui";\nimport "ui/src/button";\n'
        ),
    })  # fmt: skip
    assert set(deps(graph_of(root), "packages/app/main.ts")) == {
        "packages/core/src/index.ts", "packages/core/src/features/x.ts",
        "packages/ui/src/index.ts", "packages/ui/src/button.ts",
    }  # fmt: skip


def test_pnpm_workspace_package_with_unplaceable_entry_depends_on_all_of_it(tree: Write) -> None:
    root = tree({
        "pnpm-workspace.yaml": "packages:\n  - 'libs/*'\n",
        "libs/odd/package.json": json.dumps({"name": "odd", "main": "generated/out.js"}),
        "libs/odd/a.ts": "", "libs/odd/b.js": "",
        "app.ts": 'import { x } from "odd";\n',
    })  # fmt: skip
    assert set(deps(graph_of(root), "app.ts")) == {"libs/odd/a.ts", "libs/odd/b.js"}


def test_transitive_reverse_closure_across_languages_stays_separate(tree: Write) -> None:
    root = tree({
        "a.ts": "", "b.ts": 'export * from "./a";\n', "c.test.ts": 'import "./b";\n',
        "d.spec.js": 'require("./c.test.ts");\n',
    })  # fmt: skip
    g = graph_of(root)
    assert g.graph.affected(["a.ts"]) == {"a.ts", "b.ts", "c.test.ts", "d.spec.js"}


def test_child_baseurl_reanchors_inherited_paths(tree: Write) -> None:
    root = tree({
        "base.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"#/*": ["*"]}}}),
        "app/tsconfig.json": json.dumps(
            {"extends": "../base", "compilerOptions": {"baseUrl": "src"}}
        ),
        "app/src/x.ts": "", "app/main.ts": 'import "#/x";\n',
    })  # fmt: skip
    assert deps(graph_of(root), "app/main.ts") == {"app/src/x.ts": True}


def test_package_json_subpath_imports(tree: Write) -> None:
    root = tree({
        "pkg/package.json": json.dumps({
            "name": "pkg",
            "imports": {
                "#internal/*": {"types": "./src/internal/*.ts", "default": "./dist/internal/*.js"},
                "#config": "./src/config.ts",
                "#dep": "other",
            },
        }),
        "pkg/src/internal/util.ts": "", "pkg/src/config.ts": "",
        "other/package.json": json.dumps({"name": "other", "main": "index.js"}),
        "other/index.js": "",
        "pkg/src/deep/main.ts": (
            'import "#internal/util";\nimport "#config";\nimport "#dep";\nimport "#nope";\n'
        ),
    })  # fmt: skip
    assert set(deps(graph_of(root), "pkg/src/deep/main.ts")) == {
        "pkg/src/internal/util.ts", "pkg/src/config.ts", "other/index.js",
    }  # fmt: skip
