"""Which files a repository holds, and which of them are tests."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

__all__ = ["is_test_file", "list_files"]

# Directories never worth walking when git can't tell us what is ignored.
_SKIP_DIRS = {
    ".git", ".hg", ".svn", ".velocity", "node_modules", "__pycache__", ".venv", "venv",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "dist", "build",
}  # fmt: skip
# Never project sources even when git lists them (an un-ignored virtualenv, say).
_SKIP_ALWAYS = {".git", ".velocity", "node_modules", "__pycache__", ".venv"}
_PY_TEST = re.compile(r"^(test_.*|.*_test)\.py$")
_JS_TEST = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
_TEST_DIRS = {"tests", "test", "testing", "__tests__"}
_CODE = (".py", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


def is_test_file(path: str) -> bool:
    """Is *path* (repo-relative, ``/``-separated) a test file?

    ``test_*.py``, ``*_test.py``, ``*.test.ts``, ``*.spec.js`` (any JS/TS extension), and any
    code file below a ``tests/``, ``test/``, ``testing/`` or ``__tests__/`` directory except
    ``conftest.py`` and ``__init__.py``.

    .. versionadded:: 0.1
    """
    head, _, name = path.rpartition("/")
    if name in ("conftest.py", "__init__.py"):
        return False
    if _PY_TEST.match(name) or _JS_TEST.search(name):
        return True
    dot = name.rfind(".")
    return dot > 0 and name[dot:] in _CODE and not _TEST_DIRS.isdisjoint(head.split("/"))


def list_files(root: Path) -> list[str]:
    """Repo-relative paths of the files under *root* that are not ignored.

    Uses ``git ls-files`` (tracked plus untracked, honouring ``.gitignore``) in a git work tree,
    else walks the directory skipping VCS, cache, virtualenv and ``node_modules`` directories.

    .. versionadded:: 0.1
    """
    listed = _git_files(root)
    if listed is not None:
        return listed
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        rel = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + f for f in sorted(filenames))
    return found


def _git_files(root: Path) -> list[str] | None:
    if not (root / ".git").exists():
        return None
    cmd = ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        return None
    names = {n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n}
    # A path listed but missing on disk is a deletion in the work tree, not a file.
    keep = (n for n in names if _SKIP_ALWAYS.isdisjoint(n.split("/")))
    base = str(root)
    return sorted(n for n in keep if os.path.isfile(os.path.join(base, n)))
