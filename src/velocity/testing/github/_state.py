"""Everything the double knows that git does not: repos by name, PRs, statuses, checks, comments."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from velocity.testing.github._errors import not_found
from velocity.testing.github._git import BareRepo
from velocity.testing.github._model import CheckRun
from velocity.testing.github._model import Comment
from velocity.testing.github._model import Pull
from velocity.testing.github._model import Repo
from velocity.testing.github._model import Status

__all__ = ["DomainEvent", "State"]


@dataclass
class DomainEvent:
    """A state change GitHub would announce with a webhook (rendered by the webhook module)."""

    event: str
    repo: Repo
    action: str | None = None
    pull: Pull | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class State:
    """The double's memory, guarded by one lock so API calls and test helpers never interleave."""

    def __init__(self, root: Path, app_slug: str, emit: Callable[[DomainEvent], None]) -> None:
        self.root = root
        self.app_slug = app_slug
        self.bot_login = f"{app_slug}[bot]"
        self.lock = threading.RLock()
        self.emit = emit
        self.repos: dict[str, Repo] = {}
        self.pulls: dict[tuple[str, int], Pull] = {}
        self.statuses: list[Status] = []
        self.check_runs: dict[int, CheckRun] = {}
        self.suites: dict[tuple[str, str], int] = {}
        self.comments: dict[int, Comment] = {}
        self.users: dict[str, int] = {}
        self._ids = itertools.count(1001)

    def next_id(self) -> int:
        return next(self._ids)

    def user_id(self, login: str) -> int:
        return self.users.setdefault(login, self.next_id())

    def add_repo(self, owner: str, name: str, default_branch: str = "main") -> Repo:
        with self.lock:
            key = f"{owner}/{name}".lower()
            path = self.root / owner / f"{name}.git"
            repo = Repo(
                id=self.next_id(),
                owner=owner,
                owner_id=self.user_id(owner),
                name=name,
                default_branch=default_branch,
                git=BareRepo.create(path, default_branch),
            )
            self.repos[key] = repo
            return repo

    def repo(self, owner: str, name: str) -> Repo:
        """The repository, or a 404 ``ApiError``."""
        try:
            return self.repos[f"{owner}/{name}".lower()]
        except KeyError:
            raise not_found() from None

    def pull(self, repo: Repo, number: int) -> Pull:
        """The PR, its head re-read from git (a push the double missed still counts); or 404."""
        try:
            pull = self.pulls[(repo.full_name, number)]
        except KeyError:
            raise not_found() from None
        head = repo.git.ref(f"refs/heads/{pull.head_ref}")
        if pull.state == "open" and head is not None and head != pull.head_sha:
            extra = {"before": pull.head_sha, "after": head}
            pull.head_sha = head
            self.emit(DomainEvent("pull_request", repo, "synchronize", pull, extra))
        return pull

    def next_number(self, repo: Repo) -> int:
        # Issues and PRs share one number sequence per repository.
        used = [n for (name, n) in self.pulls if name == repo.full_name]
        return max(used, default=0) + 1

    def pulls_for_head(self, repo: Repo, branch: str) -> list[Pull]:
        return [
            pull
            for pull in self.pulls.values()
            if pull.repo is repo and pull.head_ref == branch and pull.state == "open"
        ]

    def commit_or_404(self, repo: Repo, rev: str) -> str:
        sha = repo.git.resolve(rev)
        if sha is None:
            raise not_found()
        return sha

    def suite_id(self, repo: Repo, head_sha: str) -> int:
        # One check suite per (app, head commit), made implicitly like GitHub does.
        return self.suites.setdefault((repo.full_name, head_sha), self.next_id())
