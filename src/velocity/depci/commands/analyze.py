"""``dep-ci analyze FILE...``: what the given changed files affect."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from velocity.depci.commands._common import select_changed
from velocity.depci.commands._common import show
from velocity.depci.commands._common import to_repo_path
from velocity.depci.files import list_files

__all__ = ["analyze"]


def analyze(
    root: Path, files: Sequence[str], *, tests_only: bool, as_json: bool, use_cache: bool = True
) -> int:
    """Print the files (or, with *tests_only*, the tests) that *files* affect.

    :param files: changed files, relative to the current directory; they may be deleted.
        A directory stands for every file below it.

    .. versionadded:: 0.1
    """
    changed = _expand(root, [to_repo_path(root, f) for f in files])
    analysis, sel = select_changed(root, changed, use_cache)
    return show(analysis, sel, tests_only, as_json)


def _expand(root: Path, paths: list[str]) -> list[str]:
    if not any((root / p).is_dir() for p in paths):
        return paths
    listed = list_files(root)
    out: list[str] = []
    for path in paths:
        if (root / path).is_dir():
            out += [f for f in listed if f.startswith(path.rstrip("/") + "/")]
        else:
            out.append(path)
    return out
