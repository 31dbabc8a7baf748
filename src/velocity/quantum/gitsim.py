"""Speculative merges with the real ``git``, without a worktree.

``git merge-tree --write-tree`` merges each pull request onto the previous
speculative commit and names the conflicting files before any CI runs;
``git commit-tree`` records the result with parents (previous commit, PR head).
Commit dates and identity are fixed, so the same chain always has the same
SHAs: a chain built after a merge lands starts with the commit that landed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from velocity.core.errors import VelocityError
from velocity.quantum.model import PRHead

__all__ = ["Conflict", "GitError", "GitMerger", "SpecChain"]

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Velocity Quantum",
    "GIT_AUTHOR_EMAIL": "quantum@velocity.invalid",
    "GIT_COMMITTER_NAME": "Velocity Quantum",
    "GIT_COMMITTER_EMAIL": "quantum@velocity.invalid",
}


class GitError(VelocityError):
    """A git command failed (unknown SHA, not a repository, ...).

    .. versionadded:: 0.1
    """


@dataclass(frozen=True)
class Conflict:
    """*pr* does not merge onto the commits before it; *files* conflict.

    .. versionadded:: 0.1
    """

    pr: int
    files: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The one-line reason an ejection shows.

        .. versionadded:: 0.1
        """
        return "merge conflict in " + ", ".join(self.files)


@dataclass(frozen=True)
class SpecChain:
    """The speculative commits of base+P1..Pk: ``commits[i]`` is base+P1..P(i+1).

    .. versionadded:: 0.1
    """

    base_sha: str
    commits: tuple[str, ...]

    @property
    def tip(self) -> str:
        """The commit to test: everything merged.

        .. versionadded:: 0.1
        """
        return self.commits[-1] if self.commits else self.base_sha


class GitMerger:
    """Builds speculative chains in the repository at *path* (bare or not).

    .. versionadded:: 0.1
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._cache: dict[tuple[str, str], str] = {}

    def git(
        self,
        *args: str,
        ok: Sequence[int] = (0,),
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        """Run ``git -C path *args``; return stdout, or raise GitError on another exit code.

        .. versionadded:: 0.1
        """
        return self._run(args, ok, stdin, env).stdout

    def test(self, *args: str) -> bool:
        """Run a yes/no git command (exit 0 or 1), e.g. ``merge-base --is-ancestor``.

        .. versionadded:: 0.1
        """
        return self._run(args, (0, 1), None, None).returncode == 0

    def _run(
        self,
        args: Sequence[str],
        ok: Sequence[int],
        stdin: str | None,
        env: dict[str, str] | None,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **_IDENTITY, **(env or {})},
        )
        if proc.returncode not in ok:
            raise GitError(f"git {args[0]} failed: {proc.stderr.strip() or proc.returncode}")
        return proc

    def build(self, base_sha: str, prs: Sequence[PRHead]) -> SpecChain | Conflict:
        """Merge *prs* onto *base_sha* in order; the chain, or the first conflict.

        .. versionadded:: 0.1
        """
        tip, commits = base_sha, []
        for pr, head in prs:
            merged = self._merge_one(tip, pr, head)
            if isinstance(merged, Conflict):
                return merged
            tip = merged
            commits.append(tip)
        return SpecChain(base_sha, tuple(commits))

    def _merge_one(self, tip: str, pr: int, head: str) -> str | Conflict:
        key = (tip, head)
        if key in self._cache:
            return self._cache[key]
        out = self.git(
            "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", tip, head, ok=(0, 1)
        )
        parts = [part for part in out.split("\0") if part]
        if not parts:
            raise GitError(f"git merge-tree could not merge #{pr} ({head}) onto {tip}")
        tree, *files = parts
        if files:
            return Conflict(pr, tuple(dict.fromkeys(files)))
        commit = self._commit(tree, tip, pr, head)
        self._cache[key] = commit
        return commit

    def _commit(self, tree: str, tip: str, pr: int, head: str) -> str:
        # The tip's own date keeps the commit reproducible and in chronological order.
        date = self.git("show", "-s", "--format=%ct", tip).strip() + " +0000"
        message = f"Merge #{pr} ({head[:12]}) speculatively\n"
        dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        out = self.git("commit-tree", tree, "-p", tip, "-p", head, stdin=message, env=dates)
        return out.strip()
