"""Real git on bare repositories: every ref move, merge and commit of the double runs here."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BareRepo", "GitError", "MergeConflictError"]

_ZERO = "0" * 40
# A fixed identity and no user config, so the double behaves the same on every machine.
_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Velocity Double",
    "GIT_AUTHOR_EMAIL": "double@velocity.invalid",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
}


class GitError(RuntimeError):
    """A git command failed; the message carries its stderr.

    .. versionadded:: 0.1
    """


class MergeConflictError(GitError):
    """``git merge-tree`` found conflicts between the two sides.

    .. versionadded:: 0.1
    """


@dataclass(frozen=True)
class CommitInfo:
    """The fields of a commit object the API renders."""

    sha: str
    tree: str
    parents: list[str]
    author: tuple[str, str, int]
    committer: tuple[str, str, int]
    message: str


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    """Run ``git *args`` in *cwd* and return stdout without the trailing newline."""
    env = {**os.environ, **_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.rstrip("\n")


class BareRepo:
    """One bare repository on disk, the single source of truth for refs and objects."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, path: Path, default_branch: str) -> BareRepo:
        """``git init --bare`` at *path* with one initial commit on *default_branch*."""
        path.mkdir(parents=True)
        git(path, "init", "--quiet", "--bare", f"--initial-branch={default_branch}")
        repo = cls(path)
        blob = git(path, "hash-object", "-w", "--stdin", stdin=f"# {path.stem}\n")
        tree = git(path, "mktree", stdin=f"100644 blob {blob}\tREADME.md\n")
        sha = git(path, "commit-tree", tree, "-m", "Initial commit")
        repo.update_ref(f"refs/heads/{default_branch}", sha, None)
        return repo

    def git(self, *args: str, stdin: str | None = None) -> str:
        return git(self.path, *args, stdin=stdin)

    def resolve(self, rev: str) -> str | None:
        """The commit SHA *rev* names, or None when it names nothing."""
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        except GitError:
            return None

    def ref(self, name: str) -> str | None:
        """The SHA a full ref name (``refs/heads/main``) points at, or None."""
        try:
            return self.git("rev-parse", "--verify", "--quiet", name)
        except GitError:
            return None

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        return dict(line.split(" ", 1) for line in out.splitlines() if line)

    def update_ref(self, name: str, new: str, old: str | None) -> None:
        """Move *name* to *new* only if it still points at *old* (None: must not exist)."""
        self.git("update-ref", name, new, old or _ZERO)

    def delete_ref(self, name: str, old: str) -> None:
        self.git("update-ref", "-d", name, old)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self.git("merge-base", "--is-ancestor", ancestor, descendant)
        except GitError:
            return False
        return True

    def merge_tree(self, ours: str, theirs: str) -> str:
        """The tree of merging *theirs* into *ours*; raises MergeConflictError on conflicts."""
        try:
            out = self.git("merge-tree", "--write-tree", "--no-messages", ours, theirs)
        except GitError as exc:
            raise MergeConflictError(str(exc)) from exc
        return out.splitlines()[0]

    def commit_tree(self, tree: str, parents: list[str], message: str) -> str:
        args = [arg for parent in parents for arg in ("-p", parent)]
        return self.git("commit-tree", tree, *args, "-m", message)

    def merge(self, ours: str, theirs: str, message: str) -> str:
        """A real merge commit of *theirs* into *ours* (not moved onto any ref)."""
        return self.commit_tree(self.merge_tree(ours, theirs), [ours, theirs], message)

    def commit(self, sha: str) -> CommitInfo:
        """Parse the commit object *sha* with ``git cat-file``."""
        raw = self.git("cat-file", "commit", sha)
        header, _, message = raw.partition("\n\n")
        parents: list[str] = []
        fields: dict[str, str] = {}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            if key == "parent":
                parents.append(value)
            else:
                fields.setdefault(key, value)
        return CommitInfo(
            sha, fields["tree"], parents, _who(fields["author"]), _who(fields["committer"]), message
        )

    def log(self, base: str, head: str) -> list[str]:
        """Commits reachable from *head* but not *base*, oldest first."""
        out = self.git("rev-list", "--reverse", f"{base}..{head}")
        return out.split()

    def merge_base(self, one: str, two: str) -> str | None:
        try:
            return self.git("merge-base", one, two)
        except GitError:
            return None

    def changed_files(self, base: str, head: str) -> list[tuple[str, str, int, int]]:
        """``(status, path, additions, deletions)`` between two commits."""
        status = self.git("diff", "--name-status", "--no-renames", base, head).splitlines()
        numstat = self.git("diff", "--numstat", "--no-renames", base, head).splitlines()
        counts = {}
        for line in numstat:
            added, deleted, path = line.split("\t", 2)
            counts[path] = (
                int(added) if added != "-" else 0,
                int(deleted) if deleted != "-" else 0,
            )
        result = []
        for line in status:
            code, path = line.split("\t", 1)
            result.append((code[0], path, *counts.get(path, (0, 0))))
        return result

    def rebase(self, onto: str, head: str) -> str:
        """Replay *head*'s commits missing from *onto* with ``git cherry-pick`` in a worktree."""
        picks = self.log(onto, head)
        work = self.path.with_name(self.path.name + f".rebase-{onto[:8]}")
        self.git("worktree", "add", "--quiet", "--detach", str(work), onto)
        try:
            if picks:
                git(work, "cherry-pick", "--allow-empty", *picks)
            return git(work, "rev-parse", "HEAD")
        except GitError as exc:
            raise MergeConflictError(str(exc)) from exc
        finally:
            self.git("worktree", "remove", "--force", str(work))

    def blob_sha(self, commit: str, path: str) -> str:
        return self.git("rev-parse", f"{commit}:{path}")


def _who(value: str) -> tuple[str, str, int]:
    name, _, rest = value.partition(" <")
    email, _, stamp = rest.partition("> ")
    return name, email, int(stamp.split()[0])
