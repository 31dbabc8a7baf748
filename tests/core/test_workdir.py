"""Velocity's own directories stay out of git status."""

from __future__ import annotations

import subprocess
from pathlib import Path

from velocity.core.workdir import private_dir


def test_private_dir_is_invisible_to_git(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    made = private_dir(tmp_path / ".velocity" / "quantum")
    (made / "state.db").write_bytes(b"x")
    (tmp_path / "tracked.py").write_text("")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == "?? tracked.py\n"


def test_private_dir_keeps_an_existing_ignore_file(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.db\n")
    assert private_dir(tmp_path) == tmp_path
    assert (tmp_path / ".gitignore").read_text() == "*.db\n"
