from __future__ import annotations

import pytest

from velocity.core.errors import ConfigError
from velocity.depci.engine import build_graph
from velocity.depci.rules import load_rules
from velocity.depci.rules_model import DepciRules
from velocity.depci.selection import select

from .conftest import Write
from .conftest import graph_of

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/core.py": "",
    "pkg/io.py": "from pkg import core\n",
    "pkg/data/table.csv": "a,b\n",
    "tests/conftest.py": "",
    "tests/test_core.py": "from pkg import core\n",
    "tests/test_io.py": "import pkg.io\n",
    "tests/test_other.py": "",
    "docs/index.md": "",
    "web/utils.ts": "",
    "web/main.test.ts": 'import "./utils";\n',
}


def test_graph_selection_of_a_source_change(tree: Write) -> None:
    sel = select(graph_of(tree(PROJECT)), ["pkg/core.py"])
    assert not sel.run_all
    assert sel.tests == ["tests/test_core.py", "tests/test_io.py"]
    assert sel.notes == {"pkg/core.py": "graph"}


def test_conftest_change_selects_tests_below_it(tree: Write) -> None:
    sel = select(graph_of(tree(PROJECT)), ["tests/conftest.py"])
    assert sel.tests == ["tests/test_core.py", "tests/test_io.py", "tests/test_other.py"]


def test_changed_test_selects_itself(tree: Write) -> None:
    assert select(graph_of(tree(PROJECT)), ["web/main.test.ts"]).tests == ["web/main.test.ts"]


@pytest.mark.parametrize(
    "changed", ["poetry.lock", "sub/requirements-dev.txt", "package.json", "tsconfig.app.json"]
)
def test_run_all_on_defaults(tree: Write, changed: str) -> None:
    analysis = graph_of(tree(PROJECT))
    sel = select(analysis, [changed])
    assert sel.run_all
    assert sel.tests == analysis.tests
    assert "run_all_on" in sel.reasons[0]


def test_ignored_files_select_nothing(tree: Write) -> None:
    sel = select(graph_of(tree(PROJECT)), ["docs/index.md", "README.md"])
    assert not sel.run_all
    assert sel.tests == []


def test_unknown_file_selects_everything_with_reason(tree: Write) -> None:
    sel = select(graph_of(tree(PROJECT)), ["pkg/data/table.csv"])
    assert sel.run_all
    assert sel.reasons == [
        "pkg/data/table.csv: no rule places this file (add it to extra_deps or ignore)"
    ]


def test_extra_deps_maps_data_to_tests(tree: Write) -> None:
    root = tree({
        **PROJECT,
        "pyproject.toml": (
            "[tool.velocity.depci]\nrun_all_on = []\n"
            '[tool.velocity.depci.extra_deps]\n"pkg/data/*.csv" = ["tests/test_io.py"]\n'
        ),
    })  # fmt: skip
    sel = select(build_graph(root, use_cache=False), ["pkg/data/table.csv"])
    assert not sel.run_all
    assert sel.tests == ["tests/test_io.py"]


def test_parse_failure_in_changed_file_selects_all(tree: Write) -> None:
    analysis = graph_of(tree({**PROJECT, "pkg/core.py": "def broken(:\n"}))
    sel = select(analysis, ["pkg/core.py"])
    assert sel.run_all
    assert "could not be parsed" in sel.reasons[0]


def test_unchanged_unparsable_file_is_always_affected(tree: Write) -> None:
    root = tree({**PROJECT, "tests/test_broken.py": "def broken(:\n"})
    analysis = build_graph(root, check=["tests/test_broken.py"], use_cache=False)
    sel = select(analysis, ["pkg/io.py"])
    assert not sel.run_all
    assert sel.tests == ["tests/test_broken.py", "tests/test_io.py"]


def test_deleted_module_still_reaches_its_importers(tree: Write) -> None:
    root = tree(PROJECT)
    (root / "pkg/core.py").unlink()
    analysis = build_graph(root, missing=["pkg/core.py"], use_cache=False)
    sel = select(analysis, ["pkg/core.py"])
    assert sel.tests == ["tests/test_core.py", "tests/test_io.py"]


def test_rules_from_pyproject_with_dashed_keys(tree: Write) -> None:
    root = tree({
        "pyproject.toml": (
            '[tool.velocity.depci]\nrun-all-on = ["*.lock"]\nignore = ["notes/"]\n'
            'symbol-precision = false\npython-roots = ["lib"]\n'
        )
    })  # fmt: skip
    rules = load_rules(root)
    assert rules == DepciRules(
        run_all_on=("*.lock",), ignore=("notes/",), symbol_precision=False, python_roots=("lib",)
    )
    assert rules.ignored("notes/a/b.txt")
    assert rules.run_all_match("deep/x.lock") == "*.lock"


@pytest.mark.parametrize(
    "content",
    [
        "[tool.velocity.depci]\nbogus = 1\n",
        "[tool.velocity.depci\n",
        "[tool.velocity.depci]\nignore = 3\n",
    ],
)
def test_bad_rules_are_a_config_error(tree: Write, content: str) -> None:
    with pytest.raises(ConfigError, match=r"pyproject\.toml"):
        load_rules(tree({"pyproject.toml": content}))


def test_deleted_test_is_not_selected(tree: Write) -> None:
    root = tree(PROJECT)
    (root / "tests/test_core.py").unlink()
    analysis = build_graph(root, missing=["tests/test_core.py"], use_cache=False)
    sel = select(analysis, ["tests/test_core.py", "pkg/core.py"])
    assert sel.tests == ["tests/test_io.py"]


def test_without_a_table_the_defaults_need_no_pydantic(tree: Write) -> None:
    import subprocess
    import sys

    from velocity.depci.rules import DefaultRules

    root = tree({"pyproject.toml": "[project]\nname = 'x'\n"})
    assert load_rules(root) == DefaultRules()
    code = (
        "import sys; from pathlib import Path; from velocity.depci.rules import load_rules\n"
        f"load_rules(Path({str(root)!r})); print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_default_and_model_rules_agree(tree: Write) -> None:
    from velocity.depci.rules import DefaultRules

    default, model = DefaultRules(), DepciRules()
    for path in ["poetry.lock", "docs/a.txt", "src/x.py", "README.md", "a/tsconfig.base.json"]:
        assert default.run_all_match(path) == model.run_all_match(path)
        assert default.ignored(path) == model.ignored(path)
        assert default.extra_tests(path, ["t.py"]) == model.extra_tests(path, ["t.py"])
