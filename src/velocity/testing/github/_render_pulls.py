"""Render pull requests, labels and branches from the double's state and the bare repository."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._model import Pull
from velocity.testing.github._model import Repo
from velocity.testing.github._pulls import mergeable
from velocity.testing.github._render_base import Urls
from velocity.testing.github._render_base import commit_json
from velocity.testing.github._render_base import example
from velocity.testing.github._render_base import node_id
from velocity.testing.github._render_base import relocate
from velocity.testing.github._render_base import repo_json
from velocity.testing.github._render_base import user_json
from velocity.testing.github._state import State

__all__ = ["branch_json", "label_json", "pull_json"]


def label_json(urls: Urls, repo: Repo, name: str) -> dict[str, Any]:
    """A ``label``; ids are stable per (repository, name)."""
    ident = abs(hash((repo.id, name))) % 10**9
    return {
        "id": ident,
        "node_id": node_id("Label", ident),
        "url": f"{urls.api}/repos/{repo.full_name}/labels/{name}",
        "name": name,
        "description": "",
        "color": "ededed",
        "default": False,
        # Newer than the subset, required by githubkit's current models; null like GitHub's.
        "archived_at": None,
        "archived_by": None,
    }


def _side(state: State, urls: Urls, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_json(urls, repo.owner, repo.owner_id),
        "repo": repo_json(urls, repo),
    }


def pull_json(state: State, urls: Urls, pull: Pull, *, simple: bool = False) -> dict[str, Any]:
    """A ``pull-request`` (or ``pull-request-simple`` for lists) with live git facts."""
    repo = pull.repo
    template = example("pull-request-simple-items")[0] if simple else example("pull-request")
    data: dict[str, Any] = _fix_numbers(relocate(template, urls, repo.full_name), pull.number)
    base_sha = repo.git.ref(f"refs/heads/{pull.base_ref}") or pull.head_sha
    data.update(_fields(state, urls, pull))
    data.update(
        head=_side(state, urls, repo, pull.head_ref, pull.head_sha),
        base=_side(state, urls, repo, pull.base_ref, base_sha),
        statuses_url=f"{urls.api}/repos/{repo.full_name}/statuses/{pull.head_sha}",
    )
    if not simple:
        data.update(_details(state, urls, pull, base_sha))
    return data


def _fields(state: State, urls: Urls, pull: Pull) -> dict[str, Any]:
    return {
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "active_lock_reason": None,
        "title": pull.title,
        "body": pull.body,
        "user": user_json(urls, pull.user, state.user_id(pull.user)),
        "labels": [label_json(urls, pull.repo, label) for label in pull.labels],
        "milestone": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "created_at": pull.created_at,
        "updated_at": pull.updated_at,
        "closed_at": pull.closed_at,
        "merged_at": pull.merged_at,
        "merge_commit_sha": pull.merge_commit_sha,
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        "draft": pull.draft,
    }


def _fix_numbers(data: dict[str, Any], number: int) -> dict[str, Any]:
    for key, value in list(data.items()):
        if key.endswith("_url") or key == "url":
            data[key] = value.replace("/1347", f"/{number}")
    for link in data.get("_links", {}).values():
        link["href"] = link["href"].replace("/1347", f"/{number}")
    return data


def _details(state: State, urls: Urls, pull: Pull, base_sha: str) -> dict[str, Any]:
    repo = pull.repo
    merge_base = repo.git.merge_base(base_sha, pull.head_sha) or base_sha
    counted = [] if pull.merged else repo.git.changed_files(merge_base, pull.head_sha)
    commits = repo.git.log(merge_base, pull.head_sha)
    clean = mergeable(repo, pull)
    merged_by = pull.merged_by
    return {
        "merged": pull.merged,
        "mergeable": clean,
        "rebaseable": clean,
        "mergeable_state": {True: "clean", False: "dirty", None: "unknown"}[clean],
        "merged_by": user_json(urls, merged_by, state.user_id(merged_by)) if merged_by else None,
        "comments": pull.comments,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": len(commits),
        "additions": sum(c[2] for c in counted),
        "deletions": sum(c[3] for c in counted),
        "changed_files": len(counted),
    }


def branch_json(urls: Urls, repo: Repo, branch: str, sha: str) -> dict[str, Any]:
    """A ``branch-with-protection`` (never protected in the double)."""
    data: dict[str, Any] = relocate(example("branch-get"), urls, repo.full_name)
    api = f"{urls.api}/repos/{repo.full_name}"
    data.update(
        name=branch,
        commit=commit_json(urls, repo, sha, files=False),
        protected=False,
        protection={
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        protection_url=f"{api}/branches/{branch}/protection",
        _links={
            "self": f"{api}/branches/{branch}",
            "html": f"{urls.web}/{repo.full_name}/tree/{branch}",
        },
    )
    return data
