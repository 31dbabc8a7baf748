"""The published pre-commit hook, run by the real ``pre-commit`` from a real ``git commit``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import commit_all
from .conftest import git
from .conftest import write_tree

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECT = {
    ".gitignore": ".velocity/\n__pycache__/\n.pytest_cache/\n",
    "pkg/__init__.py": "",
    "pkg/a.py": "def f():\n    return 1\n",
    "pkg/b.py": "def g():\n    return 2\n",
    "test_a.py": "from pkg.a import f\n\ndef test_a():\n    assert f() == 1\n",
    "test_b.py": "from pkg.b import g\n\ndef test_b():\n    assert g() == 2\n",
}


def manifest_hook() -> dict[str, object]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "affected-tests"]
    return dict(hook)


def test_manifest_is_valid() -> None:
    proc = subprocess.run(
        [BIN / "pre-commit", "validate-manifest", REPO / ".pre-commit-hooks.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hook = manifest_hook()
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert str(hook["entry"]).startswith("dep-ci run --staged --")


@pytest.fixture
def hooked(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project whose commits run the manifest's hook (as ``repo: local``, ``system``)."""
    root = write_tree(tmp_path / "project", PROJECT)
    hook = {**manifest_hook(), "language": "system"}
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    env.pop("PYTEST_ADDOPTS", None)
    subprocess.run([BIN / "pre-commit", "install"], cwd=root, env=env, check=True)
    return root, env


def commit(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "commit", "-m", "change"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_commit_runs_the_tests_of_the_staged_change(hooked: tuple[Path, dict[str, str]]) -> None:
    root, env = hooked
    (root / "pkg/b.py").write_text("def g():\n    return 3\n")
    git(root, "add", "pkg/b.py")
    proc = commit(root, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "affected tests (velocity dep-ci)" in out
    assert "Failed" in out
    assert "1 failed" in out
    assert "test_b.py" in out
    assert "test_a.py" not in out
    (root / "pkg/b.py").write_text("def g():\n    return 2  # fixed\n")
    git(root, "add", "pkg/b.py")
    # An unstaged breakage elsewhere is stashed by pre-commit and not tested.
    (root / "pkg/a.py").write_text("def f():\n    return 0\n")
    proc = commit(root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "affected tests (velocity dep-ci)....." in proc.stderr
    assert "Passed" in proc.stderr
    assert (root / "pkg/a.py").read_text() == "def f():\n    return 0\n"


def test_commit_without_test_impact_passes(hooked: tuple[Path, dict[str, str]]) -> None:
    root, env = hooked
    (root / "pkg/c.py").write_text("X = 1\n")
    git(root, "add", "pkg/c.py")
    proc = commit(root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stderr


@pytest.mark.slow
def test_published_hook_installs_from_a_repo_path(tmp_path: Path) -> None:
    """``language: python``: pre-commit pip-installs this checkout (at a commit) as the hook."""
    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "hatch_build.py"):
        (hook_repo / name).write_text((REPO / name).read_text())
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    shutil.copytree(REPO / "src", hook_repo / "src", ignore=ignore)
    git(hook_repo, "init", "-q", "-b", "main")
    commit_all(hook_repo, "hooks")
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    root = write_tree(tmp_path / "project", PROJECT)
    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [{"id": "affected-tests"}]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    (root / "pkg/a.py").write_text("def f():\n    return 0\n")
    git(root, "add", "pkg/a.py")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    proc = subprocess.run(
        [BIN / "pre-commit", "run"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "velocity: 1 of 2 test files affected by 1 changed files (base staged)" in proc.stdout
    assert "1 failed" in proc.stdout
