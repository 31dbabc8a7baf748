"""``--flaky-retries``, the history it writes, ``dep-ci flaky report`` and ``dep-ci report``."""

from __future__ import annotations

import importlib
import json
import sqlite3
from importlib.metadata import entry_points

import pytest

from velocity.depci.cli import main

from .conftest import commit_all
from .conftest import git

pytest_plugins = ["pytester"]


def _plugin_names() -> tuple[tuple[str, ...], str]:
    # Installed with its pytest11 entry point, the plugin loads itself: -p would load it twice.
    if entry_points(group="pytest11", name="velocity-depci"):
        return (), "velocity-depci"
    return ("-p", "velocity.depci.pytest_plugin"), "velocity.depci.pytest_plugin"


PLUGIN, PLUGIN_NAME = _plugin_names()
for _name in ("plan", "parse", "parse_python", "parse_python_quick", "parse_js", "recorder"):
    importlib.import_module(f"velocity.depci.{_name}")

TESTS = """
import pathlib
import pytest

@pytest.fixture
def fresh():
    with pathlib.Path("setups").open("a") as f:
        f.write("x")
    yield

def test_flaky(fresh):
    counter = pathlib.Path("count")
    n = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(n + 1))
    assert n >= 1, "fails the first time"

def test_broken():
    assert False

def test_fine():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_suite=TESTS)
    pytester.path.joinpath(".gitignore").write_text(
        ".velocity/\ncount\nsetups\n__pycache__/\nstdout\nstderr\nrunpytest*\n"
    )
    git(pytester.path, "init", "-q", "-b", "main")
    commit_all(pytester.path)
    return pytester


def test_fail_then_pass_is_flaky_not_hidden(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*PLUGIN, "--flaky-retries", "2")
    result.stdout.fnmatch_lines(
        [
            "*= flaky tests (failed, then passed) =*",
            "FLAKY test_suite.py::test_flaky - passed after 1 failed attempts",
            "*1 failed, 1 passed, 1 flaky*",
        ]
    )
    assert result.ret == 1
    # Fixtures are set up afresh for the retry.
    assert suite.path.joinpath("setups").read_text() == "xx"


def test_flaky_under_xdist(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess(*PLUGIN, "--flaky-retries", "1", "-n", "2")
    result.stdout.fnmatch_lines(
        ["FLAKY test_suite.py::test_flaky - passed after 1 failed attempts", "*1 flaky*"]
    )
    assert result.ret == 1


def test_without_retries_a_flaky_test_fails(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*PLUGIN)
    result.assert_outcomes(failed=2, passed=1)
    assert not suite.path.joinpath(".velocity").exists(), "plain runs leave no history"


def test_a_test_failing_every_attempt_fails(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*PLUGIN, "--flaky-retries", "3", "-k", "broken")
    result.assert_outcomes(failed=1, deselected=2)
    result.stdout.no_fnmatch_line("*FLAKY*")


def test_negative_retries_are_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest(*PLUGIN, "--flaky-retries", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_history_and_flaky_report(
    suite: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    suite.runpytest(*PLUGIN, "--flaky-retries", "1")
    suite.path.joinpath("count").unlink()
    suite.runpytest(*PLUGIN, "--flaky-retries", "1")
    suite.runpytest(*PLUGIN, "--flaky-retries", "1")  # count exists now: passes first time
    db = sqlite3.connect(suite.path / ".velocity" / "history.sqlite")
    outcomes = db.execute("SELECT outcome FROM outcomes WHERE nodeid LIKE '%flaky'").fetchall()
    db.close()
    assert [o for (o,) in outcomes] == ["flaky", "flaky", "passed"]
    capsys.readouterr()
    assert main(["--root", str(suite.path), "flaky", "report", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["flaky"]
    assert (row["nodeid"], row["runs"], row["flaky"]) == ("test_suite.py::test_flaky", 3, 2)
    assert row["flake_rate"] == pytest.approx(0.6667)
    assert row["last_seen"]
    assert main(["--root", str(suite.path), "flaky", "report"]) == 0
    assert "67%" in capsys.readouterr().out


def test_flaky_report_on_an_empty_history(
    suite: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(suite.path), "flaky", "report"]) == 0
    assert main(["--root", str(suite.path), "report"]) == 0
    assert capsys.readouterr().out == "no flaky tests recorded\nno runs recorded\n"


def test_affected_runs_record_what_was_skipped(
    suite: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    suite.makepyfile(test_other="def test_other():\n    pass\n")
    result = suite.runpytest(*PLUGIN, "--affected-only")
    result.assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["--root", str(suite.path), "report", "--json"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert (run["tool"], run["selected"], run["total"], run["run_all"]) == ("pytest", 1, 2, False)
    assert run["skipped"] == [
        {"path": "test_suite.py", "reason": "skipped: reaches none of the 1 changed files"}
    ]
    assert run["selected_tests"] == [
        {"path": "test_other.py", "reason": "selected: changed itself"}
    ]
