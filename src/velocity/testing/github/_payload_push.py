"""The ``push`` payload: commits between before and after, read from the bare repository."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from velocity.testing.github._model import Repo
from velocity.testing.github._render_base import Urls

__all__ = ["patch_push"]

_ZERO = "0" * 40


def _commit(urls: Urls, repo: Repo, sha: str, parent: str | None) -> dict[str, Any]:
    info = repo.git.commit(sha)
    added: list[str] = []
    removed: list[str] = []
    modified: list[str] = []
    base = parent or "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    for code, path, _, _ in repo.git.changed_files(base, sha):
        {"A": added, "D": removed}.get(code, modified).append(path)
    when = datetime.fromtimestamp(info.committer[2], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": sha,
        "tree_id": info.tree,
        "distinct": True,
        "message": info.message.rstrip("\n"),
        "timestamp": when,
        "url": f"{urls.web}/{repo.full_name}/commit/{sha}",
        "author": {"name": info.author[0], "email": info.author[1]},
        "committer": {"name": info.committer[0], "email": info.committer[1]},
        "added": added,
        "removed": removed,
        "modified": modified,
    }


def _first_parent(repo: Repo, sha: str) -> str | None:
    parents = repo.git.commit(sha).parents
    return parents[0] if parents else None


def patch_push(urls: Urls, repo: Repo, extra: dict[str, Any], payload: dict[str, Any]) -> None:
    """Fill a push example with the real ref move ``extra["before"] -> extra["after"]``."""
    before, after, ref = extra["before"], extra["after"], extra["ref"]
    shas: list[str] = []
    if after != _ZERO:
        shas = repo.git.log(before, after) if before != _ZERO else [after]
    commits = [_commit(urls, repo, sha, _first_parent(repo, sha)) for sha in shas]
    forced = before != _ZERO and after != _ZERO and not repo.git.is_ancestor(before, after)
    payload.update(
        ref=ref,
        before=before,
        after=after,
        created=before == _ZERO,
        deleted=after == _ZERO,
        forced=forced,
        base_ref=None,
        compare=f"{urls.web}/{repo.full_name}/compare/{before[:12]}...{after[:12]}",
        commits=commits,
        head_commit=commits[-1] if commits else None,
        pusher={"name": repo.owner, "email": None},
    )
