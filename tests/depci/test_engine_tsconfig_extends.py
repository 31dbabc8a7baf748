from __future__ import annotations

import json
from pathlib import Path

from velocity.depci.engine import build_graph
from velocity.depci.jsconfig import extends_chain
from velocity.depci.jsconfig import extends_target

from .conftest import Write
from .conftest import deps
from .conftest import graph_of
from .conftest import write_tree

PATHS = {"compilerOptions": {"baseUrl": ".", "paths": {"@app/*": ["./src/*"]}}}
APP = {"app/src/x.ts": "", "app/main.ts": 'import "@app/x";\n'}


def _conf(extends: str | list[str], **opts: object) -> str:
    return json.dumps({"extends": extends, "compilerOptions": opts})


def test_extends_a_file_of_a_scoped_package_in_node_modules(tree: Write) -> None:
    root = tree({
        **APP,
        "app/tsconfig.json": _conf("@tsconfig/node20/tsconfig.json", baseUrl="."),
        "node_modules/@tsconfig/node20/tsconfig.json": json.dumps(
            {"compilerOptions": {"paths": {"@app/*": ["./src/*"]}}}
        ),
        "node_modules/@tsconfig/node20/package.json": '{"name": "@tsconfig/node20"}',
    })  # fmt: skip
    assert deps(graph_of(root), "app/main.ts") == {"app/src/x.ts": True}


def test_extends_a_bare_package_through_tsconfig_field_exports_or_default(tree: Write) -> None:
    root = tree({
        "node_modules/by-field/package.json": '{"tsconfig": "conf/base.json"}',
        "node_modules/by-field/conf/base.json": "{}",
        "node_modules/by-exports/package.json": json.dumps(
            {"exports": {".": {"types": "./x.json"}, "./strict": "./s.json", "./c/*": "./c/*.json"}}
        ),
        "node_modules/by-exports/x.json": "{}", "node_modules/by-exports/s.json": "{}",
        "node_modules/by-exports/c/deep.json": "{}",
        "node_modules/plain/tsconfig.json": "{}", "node_modules/plain/base.json": "{}",
        "node_modules/@scope/pkg/tsconfig.json": "{}",
        "pkg/tsconfig.json": "{}",
    })  # fmt: skip
    at = "pkg/tsconfig.json"
    assert extends_target(root, at, "by-field") == "node_modules/by-field/conf/base.json"
    assert extends_target(root, at, "by-exports") == "node_modules/by-exports/x.json"
    assert extends_target(root, at, "by-exports/strict") == "node_modules/by-exports/s.json"
    assert extends_target(root, at, "by-exports/c/deep") == "node_modules/by-exports/c/deep.json"
    assert extends_target(root, at, "plain") == "node_modules/plain/tsconfig.json"
    assert extends_target(root, at, "plain/base") == "node_modules/plain/base.json"
    assert extends_target(root, at, "@scope/pkg") == "node_modules/@scope/pkg/tsconfig.json"
    assert extends_target(root, at, "missing/tsconfig.json") is None
    assert extends_target(root, at, "../base") == "base.json"


def test_nearest_node_modules_wins(tree: Write) -> None:
    root = tree({
        **APP,
        "app/tsconfig.json": _conf("shared/tsconfig.json", baseUrl="."),
        "node_modules/shared/tsconfig.json": "{}",
        "app/node_modules/shared/tsconfig.json": json.dumps(PATHS),
    })  # fmt: skip
    assert deps(graph_of(root), "app/main.ts") == {"app/src/x.ts": True}


def test_package_config_extends_its_own_relative_file(tree: Write) -> None:
    root = tree({
        **APP,
        "app/tsconfig.json": _conf(["missing-pkg", "@org/cfg/app.json"], baseUrl="."),
        "node_modules/@org/cfg/app.json": json.dumps({"extends": "./paths"}),
        "node_modules/@org/cfg/paths.json": json.dumps(PATHS),
    })  # fmt: skip
    assert deps(graph_of(root), "app/main.ts") == {"app/src/x.ts": True}
    assert extends_chain(root, "app/tsconfig.json") == [
        "node_modules/@org/cfg/app.json",
        "node_modules/@org/cfg/paths.json",
    ]


def test_a_changed_extended_config_is_not_served_from_the_cache(tree: Write) -> None:
    root = tree({
        **APP,
        "app/tsconfig.json": _conf(["../base", "@org/cfg/tsconfig.json"], baseUrl="."),
        "base.json": "{}",
        "node_modules/@org/cfg/tsconfig.json": "{}",
    })  # fmt: skip
    assert deps(build_graph(root), "app/main.ts") == {}
    write_tree(root, {"node_modules/@org/cfg/tsconfig.json": json.dumps(PATHS)})
    assert deps(build_graph(root), "app/main.ts") == {"app/src/x.ts": True}
    write_tree(root, {"node_modules/@org/cfg/tsconfig.json": "{}", "base.json": json.dumps(PATHS)})
    cached = build_graph(root)
    assert cached.graph.to_json() == build_graph(root, use_cache=False).graph.to_json()
    assert deps(cached, "app/main.ts") == {"app/src/x.ts": True}


def test_extends_cycle_terminates(tree: Write) -> None:
    root: Path = tree(
        {
            "a/tsconfig.json": _conf("../b/tsconfig.json"),
            "b/tsconfig.json": _conf("../a/tsconfig.json"),
        }
    )
    assert extends_chain(root, "a/tsconfig.json") == ["b/tsconfig.json"]
    graph_of(root)
