"""The directories Velocity keeps its own files in (``.velocity/`` by default)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["private_dir"]


def private_dir(path: Path) -> Path:
    """Create *path* (and its parents) and keep what it holds out of ``git status``.

    A ``.gitignore`` of ``*`` inside it, as ``.pytest_cache`` does, so users need not
    edit their own ignore files, and depci never sees Velocity's files as changes.

    .. versionadded:: 0.1
    """
    path.mkdir(parents=True, exist_ok=True)
    marker = path / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")
    return path
