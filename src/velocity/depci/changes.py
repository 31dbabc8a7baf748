"""Changed files from git: the branch since its merge-base, plus staged, unstaged, untracked."""

from __future__ import annotations

import subprocess
from pathlib import Path

from velocity.core.errors import VelocityError

__all__ = ["changed_files", "default_base", "repo_root"]

_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def repo_root(start: Path) -> Path:
    """The top of the git work tree containing *start*.

    :raises VelocityError: *start* is not inside a git work tree.

    .. versionadded:: 0.1
    """
    proc = _git(start, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise VelocityError(f"not a git repository: {start}")
    return Path(proc.stdout.decode().strip())


def default_base(root: Path) -> str:
    """``origin/HEAD``, else ``main``, else ``master``, else ``HEAD`` (working-tree changes).

    .. versionadded:: 0.1
    """
    for ref in ("origin/HEAD", "main", "master"):
        if _git(root, "rev-parse", "--verify", "--quiet", ref + "^{commit}").returncode == 0:
            return ref
    return "HEAD"


def changed_files(root: Path, base: str | None = None) -> list[str]:
    """Repo-relative paths changed since ``merge-base(base, HEAD)``.

    Committed, staged, unstaged and untracked (not ignored) changes all count; a rename
    counts as its old and its new path; deleted paths are included.

    :raises VelocityError: *base* does not name a commit.

    .. versionadded:: 0.1
    """
    base = base or default_base(root)
    since = _merge_base(root, base)
    # Three independent listings: run them side by side (each is mostly process start-up).
    listings = [
        ["diff", since, "--name-only", "--no-renames", "-z", "--"],
        ["diff", "--cached", since, "--name-only", "--no-renames", "-z", "--"],
        ["ls-files", "--others", "--exclude-standard", "-z"],
    ]
    procs = [_start(root, args) for args in listings]
    outputs = [(*proc.communicate(), proc.returncode) for proc in procs]
    names: set[str] = set()
    for args, output in zip(listings, outputs, strict=True):
        names |= _names(args, *output)
    return sorted(names)


def _merge_base(root: Path, base: str) -> str:
    # One git call when all is well; the checks that name the problem only when not.
    proc = _git(root, "merge-base", base, "HEAD")
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        return _EMPTY_TREE  # no commit yet: everything in the work tree is new
    if _git(root, "rev-parse", "--verify", "--quiet", base + "^{commit}").returncode != 0:
        raise VelocityError(f"unknown git revision: {base!r}")
    raise VelocityError(f"no merge-base between {base!r} and HEAD")


def _start(root: Path, args: list[str]) -> subprocess.Popen[bytes]:
    cmd = ["git", "-C", str(root), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _names(args: list[str], out: bytes, err: bytes, code: int) -> set[str]:
    if code != 0:
        raise VelocityError(f"git {args[0]} failed: {err.decode(errors='replace').strip()}")
    return {n for n in out.decode("utf-8", "surrogateescape").split("\0") if n}
