"""What people do on GitHub, for tests to drive: push, open PRs, label, comment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from velocity.testing.github._model import Repo
from velocity.testing.github._pulls import add_comment
from velocity.testing.github._pulls import add_labels
from velocity.testing.github._pulls import open_pull
from velocity.testing.github._pulls import remove_label
from velocity.testing.github._refs import branch_moved
from velocity.testing.github._state import State
from velocity.testing.github._workspace import push_files

__all__ = ["RepoActions"]

#: Who acts when a test does not say.
DEFAULT_USER = "octocat"


class RepoActions:
    """Repository set-up and human actions; each emits the events GitHub would.

    .. versionadded:: 0.1
    """

    state: State
    workdir: Path

    def add_repo(self, owner: str, name: str, default_branch: str = "main") -> Repo:
        """Create a bare repository whose *default_branch* holds one initial commit."""
        return self.state.add_repo(owner, name, default_branch)

    def repo_path(self, owner: str, name: str) -> Path:
        """The bare repository on disk (clone it, or run ``git`` in it)."""
        return self.state.repo(owner, name).git.path

    def rev_parse(self, owner: str, name: str, rev: str) -> str | None:
        """``git rev-parse`` in the bare repository; None when *rev* names nothing."""
        return self.state.repo(owner, name).git.resolve(rev)

    def push(
        self,
        owner: str,
        name: str,
        branch: str,
        files: Mapping[str, str | None],
        message: str = "Change",
        *,
        start: str | None = None,
        force: bool = False,
        user: str = DEFAULT_USER,
    ) -> str:
        """Commit *files* (None deletes) on *branch* in a temporary clone and ``git push``.

        The branch starts from itself, else from *start* (the default branch by default).
        Emits ``push`` and, for open PRs from *branch*, ``pull_request.synchronize``.
        Returns the new head SHA.
        """
        with self.state.lock:
            repo = self.state.repo(owner, name)
            scratch = self.workdir / "scratch"
            scratch.mkdir(exist_ok=True)
            before, after = push_files(
                repo, scratch, branch, files, message, start=start, force=force
            )
            branch_moved(self.state, repo, f"refs/heads/{branch}", before, after, sender=user)
            return after

    def open_pull(
        self,
        owner: str,
        name: str,
        head: str,
        base: str | None = None,
        title: str | None = None,
        user: str = DEFAULT_USER,
    ) -> int:
        """A person opens a PR from branch *head* (emits ``pull_request.opened``); its number."""
        with self.state.lock:
            repo = self.state.repo(owner, name)
            target = base or repo.default_branch
            pull = open_pull(self.state, repo, head, target, title or head, None, user, user)
            return pull.number

    def label(
        self, owner: str, name: str, number: int, label: str, user: str = DEFAULT_USER
    ) -> None:
        """A person adds *label* to PR *number* (emits ``pull_request.labeled``)."""
        with self.state.lock:
            pull = self.state.pull(self.state.repo(owner, name), number)
            add_labels(self.state, pull, [label], sender=user)

    def unlabel(
        self, owner: str, name: str, number: int, label: str, user: str = DEFAULT_USER
    ) -> None:
        """A person removes *label* from PR *number* (emits ``pull_request.unlabeled``)."""
        with self.state.lock:
            pull = self.state.pull(self.state.repo(owner, name), number)
            remove_label(self.state, pull, label, sender=user)

    def comment(
        self, owner: str, name: str, number: int, body: str, user: str = DEFAULT_USER
    ) -> None:
        """A person comments on PR *number* (emits ``issue_comment.created``)."""
        with self.state.lock:
            add_comment(
                self.state, self.state.pull(self.state.repo(owner, name), number), body, user
            )
