from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from velocity.depci.engine import Analysis
from velocity.depci.engine import build_graph

Write = Callable[[dict[str, str]], Path]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Write:
    """Write a dict of repo-relative path -> content under a fresh directory."""
    root = tmp_path / "repo"
    root.mkdir()
    return lambda files: write_tree(root, files)


def git(root: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    proc = subprocess.run(
        ["git", "-C", str(root), *env_args, *args], capture_output=True, text=True, check=True
    )
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository (branch main) with one empty initial commit."""
    root = tmp_path / "git"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "init")
    return root


def commit_all(root: Path, message: str = "c") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def deps(analysis: Analysis, path: str) -> dict[str, bool]:
    """target -> deep, for the edges out of *path*."""
    return {t: e.deep for t, e in analysis.graph.forward.get(path, {}).items()}


def graph_of(root: Path) -> Analysis:
    return build_graph(root, use_cache=False)
