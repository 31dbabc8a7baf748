from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Repo:
    """A real git repository in tmp_path with helpers to make PR branches."""

    def __init__(self, path: Path):
        self.path = path
        self.git("init", "-q", "-b", "main")
        self.base = self.commit("main", {"README": "hello\n", "app.py": "x = 1\n"}, "base")

    def git(self, *args: str) -> str:
        env = {**os.environ, **IDENTITY}
        out = subprocess.run(
            ["git", "-C", str(self.path), *args],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        return out.stdout.strip()

    def commit(self, branch: str, files: dict[str, str], message: str, start: str = "") -> str:
        """Commit *files* on *branch* (created from *start*, default the base)."""
        if self.git("branch", "--list", branch):
            self.git("checkout", "-q", branch)
        elif start:
            self.git("checkout", "-q", "-b", branch, start)
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        sha = self.git("rev-parse", "HEAD")
        self.git("checkout", "-q", "--detach")
        return sha

    def pr(self, number: int, files: dict[str, str]) -> str:
        return self.commit(f"pr{number}", files, f"PR {number}", start=self.base)

    def show(self, rev: str, name: str) -> str:
        return self.git("show", f"{rev}:{name}")


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    return Repo(path)
