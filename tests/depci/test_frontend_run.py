"""``dep-ci run``: real commands in temp git repos; fake jest/npm/vitest on PATH show the argv."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from velocity.depci.cli import main

from .conftest import commit_all
from .conftest import git
from .conftest import write_tree

PY_PROJECT = {
    ".gitignore": ".velocity/\n__pycache__/\n",
    "pkg/__init__.py": "",
    "pkg/a.py": "def f():\n    return 1\n",
    "pkg/b.py": "def g():\n    return 2\n",
    "test_a.py": "from pkg.a import f\n\ndef test_a():\n    assert f() == 1\n",
    "test_b.py": "from pkg.b import g\n\ndef test_b():\n    assert g() == 2\n",
}
JS_PROJECT = {
    ".gitignore": ".velocity/\n",
    "src/util.ts": "export const one = 1;\n",
    "src/main.ts": "import { one } from './util';\nexport const two = one + 1;\n",
    "src/main.test.ts": "import { two } from './main';\ntest('two', () => expect(two).toBe(2));\n",
    "src/other.test.ts": "test('other', () => expect(1).toBe(1));\n",
}
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


def make_repo(root: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(root, files)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def py_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path / "py", PY_PROJECT, monkeypatch)


@pytest.fixture
def js_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path / "js", JS_PROJECT, monkeypatch)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """jest, vitest, npm and show on PATH: each prints ``ARGV <json of its arguments>``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("jest", "vitest", "npm", "show"):
        script = bin_dir / name
        script.write_text(
            f"#!{sys.executable}\nimport json, sys\nprint('ARGV', json.dumps(sys.argv[1:]))\n"
        )
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def argv_of(out: str) -> list[str]:
    line = next(x for x in out.splitlines() if x.startswith("ARGV "))
    return list(json.loads(line[5:]))


def test_pytest_runs_only_the_affected_test(
    py_repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (py_repo / "pkg/a.py").write_text("def f():\n    return 1  # edited\n")
    assert main(["run", "--", *PYTEST]) == 0
    out, err = capfd.readouterr()
    assert "1 passed" in out
    assert "velocity: 1 of 2 test files affected by 1 changed files (base main)" in err
    assert err.rstrip().splitlines()[-1].endswith("test_a.py")


def test_exit_code_is_the_commands(py_repo: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (py_repo / "pkg/b.py").write_text("def g():\n    return 3\n")
    assert main(["run", "--", *PYTEST]) == 1
    assert "1 failed" in capfd.readouterr().out


def test_nothing_affected_runs_nothing(py_repo: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--", "false"]) == 0
    assert "velocity: no affected test for false; not running it" in capfd.readouterr().err


def test_run_everything_runs_the_command_unchanged(
    py_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (py_repo / "requirements.txt").write_text("flask\n")
    assert main(["run", "--", "show", "-x", "{tests}"]) == 0
    out, err = capfd.readouterr()
    assert argv_of(out) == ["-x"]
    assert "running every test: requirements.txt: matches run_all_on" in err


def test_placeholder_is_substituted(
    py_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (py_repo / "pkg/b.py").write_text("def g():\n    return 2  # edited\n")
    assert main(["run", "--", "show", "{tests}", "--files={tests}", "--end"]) == 0
    assert argv_of(capfd.readouterr().out) == ["test_b.py", "--files=test_b.py", "--end"]


def test_paths_are_relative_to_the_working_directory(
    py_repo: Path,
    fake_bin: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (py_repo / "pkg/b.py").write_text("def g():\n    return 2  # edited\n")
    monkeypatch.chdir(py_repo / "pkg")
    assert main(["run", "--", "show"]) == 0
    assert argv_of(capfd.readouterr().out) == ["../test_b.py"]


def test_staged_only_counts_the_index(
    py_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (py_repo / "pkg/b.py").write_text("def g():\n    return 2  # staged\n")
    git(py_repo, "add", "pkg/b.py")
    (py_repo / "pkg/a.py").write_text("def f():\n    return 1  # not staged\n")
    assert main(["run", "--staged", "--", "show"]) == 0
    out, err = capfd.readouterr()
    assert argv_of(out) == ["test_b.py"]
    assert "(base staged)" in err


def test_jest_gets_find_related_tests_with_changed_sources(
    js_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (js_repo / "src/util.ts").write_text("export const one = 1; // edited\n")
    assert main(["run", "--", "jest", "--ci"]) == 0
    out, err = capfd.readouterr()
    assert argv_of(out) == ["--ci", "--findRelatedTests", "src/main.test.ts", "src/util.ts"]
    assert "velocity: 1 of 2 test files affected" in err


def test_vitest_uses_related(
    js_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (js_repo / "src/util.ts").write_text("export const one = 1; // edited\n")
    assert main(["run", "--", "vitest", "run", "--silent"]) == 0
    expected = ["related", "--run", "src/main.test.ts", "src/util.ts", "--silent"]
    assert argv_of(capfd.readouterr().out) == expected


def test_npm_test_gets_the_test_files_after_a_separator(
    js_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (js_repo / "src/util.ts").write_text("export const one = 1; // edited\n")
    assert main(["run", "--", "npm", "test"]) == 0
    assert argv_of(capfd.readouterr().out) == ["test", "--", "src/main.test.ts"]


def test_pytest_is_not_run_for_javascript_tests(
    js_repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (js_repo / "src/util.ts").write_text("export const one = 1; // edited\n")
    assert main(["run", "--", "pytest"]) == 0
    assert "velocity: no affected test for pytest; not running it" in capfd.readouterr().err


def test_unknown_command_exits_127(py_repo: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (py_repo / "pkg/a.py").write_text("def f():\n    return 1  # edited\n")
    assert main(["run", "--", "no-such-tool-here"]) == 127
    assert "command not found: no-such-tool-here" in capfd.readouterr().err


def test_missing_command_is_a_usage_error(py_repo: Path) -> None:
    assert main(["run"]) == 2


def test_runs_are_in_the_audit_trail(
    py_repo: Path, fake_bin: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (py_repo / "pkg/a.py").write_text("def f():\n    return 1  # edited\n")
    assert main(["run", "--", "show"]) == 0
    capfd.readouterr()
    assert main(["report", "--json"]) == 0
    (run,) = json.loads(capfd.readouterr().out)["runs"]
    assert (run["tool"], run["selected"], run["total"], run["exitstatus"]) == (
        "dep-ci run",
        1,
        2,
        0,
    )
    assert run["skipped"] == [
        {"path": "test_b.py", "reason": "skipped: reaches none of the 1 changed files"}
    ]
    assert run["selected_tests"] == [
        {"path": "test_a.py", "reason": "selected: test_a.py -> pkg/a.py"}
    ]
    assert main(["report"]) == 0
    assert "skipped test_b.py: skipped: reaches none" in capfd.readouterr().out


def test_history_is_invisible_to_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {k: v for k, v in PY_PROJECT.items() if k != ".gitignore"}
    root = make_repo(tmp_path / "bare", files, monkeypatch)
    assert main(["run", "--", "true"]) == 0
    assert (root / ".velocity" / "history.sqlite").exists()
    assert git(root, "status", "--porcelain") == ""
