"""Push commits into a bare repository from a throwaway clone, as a developer would."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from velocity.testing.github._git import git
from velocity.testing.github._model import Repo

__all__ = ["push_files"]


def push_files(
    repo: Repo,
    scratch: Path,
    branch: str,
    files: Mapping[str, str | None],
    message: str,
    *,
    start: str | None = None,
    force: bool = False,
) -> tuple[str | None, str]:
    """Commit *files* (None deletes a path) on *branch* and ``git push`` it.

    The branch starts from itself when it exists, else from *start* (default branch by
    default). Returns the branch's SHA before and after the push.
    """
    clone = scratch / f"clone-{uuid.uuid4().hex[:12]}"
    git(scratch, "clone", "--quiet", str(repo.git.path), str(clone))
    try:
        before = repo.git.ref(f"refs/heads/{branch}")
        origin = branch if before is not None and start is None else start or repo.default_branch
        git(clone, "checkout", "--quiet", "-B", branch, f"origin/{origin}")
        for name, content in files.items():
            path = clone / name
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, "utf-8")
        git(clone, "add", "--all")
        git(clone, "commit", "--quiet", "--allow-empty", "-m", message)
        flags = ["--force"] if force else []
        git(clone, "push", "--quiet", *flags, "origin", f"HEAD:refs/heads/{branch}")
        return before, git(clone, "rev-parse", "HEAD")
    finally:
        shutil.rmtree(clone, ignore_errors=True)
