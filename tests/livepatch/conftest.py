from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from velocity.livepatch.agent._paths import STATE_DIR


def _snapshot(top: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Every entry below *top* (the agent's state dir left out): kind, content or target, mode."""
    found: dict[str, tuple[str, bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d != STATE_DIR]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(top).as_posix()
            st = path.lstat()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path), 0)
            elif path.is_dir():
                found[rel] = ("dir", b"", st.st_mode & 0o7777)
            elif path.is_file():
                found[rel] = ("file", path.read_bytes(), st.st_mode & 0o7777)
            else:
                found[rel] = ("other", b"", st.st_mode)
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, tuple[str, bytes | str, int]]]:
    return _snapshot
