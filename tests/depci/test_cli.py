from __future__ import annotations

import json
from pathlib import Path

import pytest

from velocity.depci.cli import main

from .conftest import commit_all
from .conftest import git
from .conftest import write_tree

SEED = {
    "web/utils.ts": "export const add = (a: number, b: number) => a + b;\n",
    "web/main.ts": 'import { add } from "./utils";\n',
    "web/main.test.ts": 'import "./main";\n',
    "pkg/__init__.py": "",
    "pkg/core.py": "",
    "tests/test_core.py": "from pkg import core\n",
    "tests/test_other.py": "",
}


@pytest.fixture
def seeded(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(repo, SEED)
    commit_all(repo, "seed")
    monkeypatch.chdir(repo)
    return repo


def test_analyze_seed_outcome(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "web/utils.ts"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["web/main.test.ts", "web/main.ts", "web/utils.ts"]
    assert "3 affected files from 1 changed files" in out.err


def test_analyze_tests_json(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--tests", "--json", "pkg/core.py", "web/utils.ts"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tests"] == ["tests/test_core.py", "web/main.test.ts"]
    assert data["run_all"] is False
    # Three empty .py files share one quick parse; the changed one is parsed again in full.
    assert data["stats"]["parsed"] == 6


def test_analyze_from_a_subdirectory_and_with_root(seeded: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(seeded / "web")
    assert main(["analyze", "--tests", "utils.ts"]) == 0
    assert capsys.readouterr().out.splitlines() == ["web/main.test.ts"]
    monkeypatch.chdir(seeded.parent)
    assert main(["--root", str(seeded), "analyze", "--tests", str(seeded / "pkg/core.py")]) == 0
    assert capsys.readouterr().out.splitlines() == ["tests/test_core.py"]


def test_analyze_unknown_file_runs_everything(seeded: Path, capsys) -> None:
    assert main(["analyze", "--tests", "data.bin"]) == 0
    out = capsys.readouterr()
    assert "run everything: data.bin: no rule places this file" in out.err
    assert len(out.out.splitlines()) == 3


def test_file_outside_repo_is_one_line_exit_2(seeded: Path, tmp_path: Path, capsys) -> None:
    assert main(["analyze", str(tmp_path / "elsewhere.py")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dep-ci: error: file outside the repository:")
    assert err.count("\n") == 1


def test_affected_since_base(seeded: Path, capsys) -> None:
    git(seeded, "checkout", "-q", "-b", "feature")
    write_tree(seeded, {"web/utils.ts": "export const add = 1;\n"})
    commit_all(seeded, "edit")
    write_tree(seeded, {"pkg/core.py": "x = 1\n"})
    assert main(["affected", "--base", "main", "--tests", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["base"] == "main"
    assert data["changed"] == ["pkg/core.py", "web/utils.ts"]
    assert data["tests"] == ["tests/test_core.py", "web/main.test.ts"]


def test_affected_with_deleted_module(seeded: Path, capsys) -> None:
    (seeded / "pkg/core.py").unlink()
    assert main(["affected", "--tests"]) == 0
    assert capsys.readouterr().out.splitlines() == ["tests/test_core.py"]


def test_affected_bad_ref_exit_2(seeded: Path, capsys) -> None:
    assert main(["affected", "--base", "no-such-ref"]) == 2
    assert capsys.readouterr().err == "dep-ci: error: unknown git revision: 'no-such-ref'\n"


def test_why_prints_the_chain(seeded: Path, capsys) -> None:
    assert main(["why", "web/main.test.ts", "web/utils.ts"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "web/main.test.ts",
        "  -> web/main.ts  (web/main.test.ts:1 imports './main')",
        "  -> web/utils.ts  (web/main.ts:1 imports './utils')",
    ]
    assert main(["why", "--json", "tests/test_other.py", "pkg/core.py"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "test": "tests/test_other.py",
        "changed": "pkg/core.py",
        "reachable": False,
        "chain": [],
    }


def test_graph_json_and_dot(seeded: Path, capsys) -> None:
    assert main(["graph", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pairs = {(e["source"], e["target"]) for e in data["edges"]}
    assert ("web/main.ts", "web/utils.ts") in pairs
    assert ("tests/test_core.py", "pkg/core.py") in pairs
    assert main(["graph", "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph depci {")
    assert '"web/main.ts" -> "web/utils.ts" [style=solid];' in dot
    assert '"tests/test_core.py" -> "pkg/__init__.py" [style=dashed];' in dot
    assert main(["graph", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"]


def test_warm_run_reuses_cache(seeded: Path, capsys) -> None:
    main(["analyze", "--json", "pkg/core.py"])
    capsys.readouterr()
    assert main(["analyze", "--json", "pkg/core.py"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["parsed"] == 0
    assert main(["--no-cache", "analyze", "--json", "pkg/core.py"]) == 0


def test_usage_errors_and_version(seeded: Path, capsys) -> None:
    assert main(["analyze"]) == 2
    assert main(["graph", "--format", "svg"]) == 2
    assert main(["--root", "/definitely/not/here", "graph"]) == 2
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dep-ci ")


def test_main_restores_the_garbage_collector(seeded: Path) -> None:
    import gc

    assert gc.isenabled()
    main(["graph"])
    assert gc.isenabled()


def test_analyze_a_directory_means_its_files(seeded: Path, capsys) -> None:
    assert main(["analyze", "--tests", "pkg"]) == 0
    assert capsys.readouterr().out.splitlines() == ["tests/test_core.py"]


def test_affected_outside_git_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert main(["--root", str(plain), "affected"]) == 2
    assert capsys.readouterr().err.startswith("dep-ci: error: not a git repository:")


def test_rename_selects_importers_of_the_old_path(seeded: Path, capsys) -> None:
    git(seeded, "mv", "pkg/core.py", "pkg/core2.py")
    assert main(["affected", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["changed"] == ["pkg/core.py", "pkg/core2.py"]
    assert data["tests"] == ["tests/test_core.py"]


def test_lockfile_change_runs_everything_with_the_reason(seeded: Path, capsys) -> None:
    write_tree(seeded, {"poetry.lock": "# new pins\n"})
    assert main(["affected", "--tests"]) == 0
    out = capsys.readouterr()
    assert "run everything: poetry.lock: matches run_all_on 'poetry.lock'" in out.err
    assert out.out.splitlines() == ["tests/test_core.py", "tests/test_other.py", "web/main.test.ts"]


def test_why_json_for_a_reachable_pair(seeded: Path, capsys) -> None:
    assert main(["why", "--json", "tests/test_core.py", "pkg/core.py"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reachable"] is True
    assert [hop["target"] for hop in data["chain"]] == ["pkg/core.py"]


def test_analyze_outside_git_uses_the_current_directory(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    plain = write_tree(
        tmp_path / "plain", {"a.py": "import b\n", "b.py": "", "test_a.py": "import a\n"}
    )
    monkeypatch.chdir(plain)
    assert main(["analyze", "--tests", "b.py", "."]) == 2  # "." is the root, not a file
    capsys.readouterr()
    assert main(["analyze", "--tests", "b.py"]) == 0
    assert capsys.readouterr().out.splitlines() == ["test_a.py"]


def test_analyze_mixes_directories_and_files(seeded: Path, capsys) -> None:
    assert main(["analyze", "--tests", "pkg", "web/utils.ts"]) == 0
    assert capsys.readouterr().out.splitlines() == ["tests/test_core.py", "web/main.test.ts"]
