"""action.yml: its structure, actionlint on a workflow using it, and its run steps for real."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import commit_all
from .conftest import git
from .conftest import write_tree

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2"


def action() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "action.yml").read_text())
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    return list(action()["runs"]["steps"])


def test_action_structure() -> None:
    data = action()
    assert {"name", "description", "inputs", "runs"} <= data.keys()
    assert set(data["inputs"]) == {"base", "command", "python-version", "cache"}
    assert all(spec.get("description") for spec in data["inputs"].values())
    assert data["runs"]["using"] == "composite"
    for step in steps():
        assert "name" in step
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step["name"]


def test_every_input_is_used() -> None:
    body = yaml.safe_dump(action()["runs"])
    for name in action()["inputs"]:
        assert f"inputs.{name}" in body, name


def test_actions_are_pinned_by_sha_with_a_version_comment() -> None:
    text = (REPO / "action.yml").read_text()
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", text, re.MULTILINE)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), comment


def test_the_summary_step_runs_even_when_tests_fail() -> None:
    (summary,) = [s for s in steps() if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert summary["if"] == "always()"


def lint(root: Path, workflow: str) -> subprocess.CompletedProcess[str]:
    (root / "action.yml").write_text((REPO / "action.yml").read_text())
    flows = root / ".github" / "workflows"
    flows.mkdir(parents=True)
    (flows / "ci.yml").write_text(workflow)
    return subprocess.run(
        [BIN / "actionlint", "-no-color", ".github/workflows/ci.yml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


WORKFLOW = f"""\
name: ci
on: [push, pull_request]
permissions: {{}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: ./
        with:
          command: pytest -q -x
          python-version: "3.12"
          cache: "true"
          base: origin/main
"""


def test_actionlint_accepts_a_workflow_using_the_action(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    proc = lint(tmp_path, WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_reads_the_actions_inputs(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    proc = lint(tmp_path, WORKFLOW.replace("cache:", "no-such-input:"))
    assert proc.returncode == 1
    assert 'input "no-such-input" is not defined in action' in proc.stdout


def run_step(name: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (step,) = [s for s in steps() if s["name"] == name]
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=root,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("base", ["", "main"])
def test_run_and_summary_steps_for_real(tmp_path: Path, base: str) -> None:
    root = write_tree(
        tmp_path / "project",
        {
            ".gitignore": ".velocity/\n__pycache__/\n",
            "calc.py": "def add(a, b):\n    return a + b\n",
            "other.py": "X = 1\n",
            "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
            "test_other.py": "from other import X\n\ndef test_x():\n    assert X == 1\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    commit_all(root)
    git(root, "checkout", "-q", "-b", "feature")
    (root / "calc.py").write_text("def add(a, b):\n    return b + a\n")
    commit_all(root)
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider"
    env = {"VELOCITY_BASE": base, "VELOCITY_COMMAND": command}
    ran = run_step("Run the affected tests", root, env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout
    summary = tmp_path / "summary.md"
    wrote = run_step("Write the job summary", root, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert wrote.returncode == 0, wrote.stderr
    text = summary.read_text()
    assert "### velocity dep-ci: ran 1 of 2 test files" in text
    assert "| `test_calc.py` | selected: test_calc.py -> calc.py |" in text
    assert "| `test_other.py` | skipped: reaches none of the 1 changed files |" in text
