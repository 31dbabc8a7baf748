"""Render users, repositories, commits and refs, patching GitHub's own examples in the subset."""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from velocity.testing.github._model import Repo
from velocity.testing.github._openapi import load_spec

__all__ = ["Urls", "commit_json", "git_commit_json", "ref_json", "repo_json", "user_json"]

_API_REPO = re.compile(r"https://api\.github\.com/repos/[^/\"]+/[^/\"{]+")
_WEB_REPO = re.compile(r"https://github\.com/(?!apps/|organizations/|images/)[^/\"]+/[^/\"{]+")


@dataclass(frozen=True)
class Urls:
    """Where the double is served: the API root (GHES style ``/api/v3``) and the web root."""

    api: str
    web: str


def example(name: str) -> Any:
    """A deep copy of ``components/examples/<name>`` from the subset."""
    return copy.deepcopy(load_spec().document["components"]["examples"][name]["value"])


def relocate(value: Any, urls: Urls, full_name: str | None = None) -> Any:
    """Point every github.com URL of an example at the double (and at *full_name*)."""
    text = json.dumps(value)
    if full_name is not None:
        text = _API_REPO.sub(f"https://api.github.com/repos/{full_name}", text)
        text = _WEB_REPO.sub(f"https://github.com/{full_name}", text)
    text = text.replace("https://api.github.com", urls.api).replace("https://github.com", urls.web)
    return json.loads(text)


def node_id(kind: str, ident: object) -> str:
    return base64.b64encode(f"{kind}{ident}".encode()).decode()


def user_json(urls: Urls, login: str, ident: int) -> dict[str, Any]:
    """A ``simple-user`` for *login* (``[bot]`` logins are bots)."""
    base = f"{urls.api}/users/{login}"
    return {
        "login": login,
        "id": ident,
        "node_id": node_id("User", ident),
        "avatar_url": f"{urls.web}/avatars/{login}",
        "gravatar_id": "",
        "url": base,
        "html_url": f"{urls.web}/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": "Bot" if login.endswith("[bot]") else "User",
        "site_admin": False,
    }


def repo_json(urls: Urls, repo: Repo, pushed_at: str | None = None) -> dict[str, Any]:
    """A ``full-repository`` (its fields are a superset of ``repository``)."""
    data: dict[str, Any] = relocate(
        example("full-repository-default-response"), urls, repo.full_name
    )
    for extra in ("source", "parent", "organization", "template_repository"):
        data.pop(extra, None)
    data.update(
        id=repo.id,
        node_id=node_id("Repository", repo.id),
        name=repo.name,
        full_name=repo.full_name,
        owner=user_json(urls, repo.owner, repo.owner_id),
        private=False,
        visibility="public",
        fork=False,
        description=None,
        homepage=None,
        language=None,
        license=None,
        default_branch=repo.default_branch,
        created_at=repo.created_at,
        updated_at=pushed_at or repo.created_at,
        pushed_at=pushed_at or repo.created_at,
        mirror_url=None,
        topics=[],
        open_issues_count=0,
        open_issues=0,
    )
    data["git_url"] = data["clone_url"] = data["ssh_url"] = repo.git.path.as_uri()
    return data


def _signature(who: tuple[str, str, int]) -> dict[str, Any]:
    when = datetime.fromtimestamp(who[2], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"name": who[0], "email": who[1], "date": when}


def _unverified() -> dict[str, Any]:
    return {
        "verified": False,
        "reason": "unsigned",
        "signature": None,
        "payload": None,
        "verified_at": None,
    }


def git_commit_json(urls: Urls, repo: Repo, sha: str) -> dict[str, Any]:
    """A ``git-commit`` read from the bare repository."""
    info = repo.git.commit(sha)
    api = f"{urls.api}/repos/{repo.full_name}"
    return {
        "sha": sha,
        "node_id": node_id("Commit", sha),
        "url": f"{api}/git/commits/{sha}",
        "html_url": f"{urls.web}/{repo.full_name}/commit/{sha}",
        "author": _signature(info.author),
        "committer": _signature(info.committer),
        "message": info.message.rstrip("\n"),
        "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
        "parents": [
            {
                "sha": p,
                "url": f"{api}/git/commits/{p}",
                "html_url": f"{urls.web}/{repo.full_name}/commit/{p}",
            }
            for p in info.parents
        ],
        "verification": _unverified(),
    }


def commit_json(urls: Urls, repo: Repo, sha: str, *, files: bool = True) -> dict[str, Any]:
    """A ``commit`` (REST commits API) with stats and files diffed against the first parent."""
    info = repo.git.commit(sha)
    git_commit = git_commit_json(urls, repo, sha)
    api = f"{urls.api}/repos/{repo.full_name}"
    data: dict[str, Any] = {
        "url": f"{api}/commits/{sha}",
        "sha": sha,
        "node_id": git_commit["node_id"],
        "html_url": git_commit["html_url"],
        "comments_url": f"{api}/commits/{sha}/comments",
        "commit": {
            "url": git_commit["url"],
            "author": git_commit["author"],
            "committer": git_commit["committer"],
            "message": git_commit["message"],
            "tree": git_commit["tree"],
            "comment_count": 0,
            "verification": git_commit["verification"],
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": p["sha"], "url": f"{api}/commits/{p['sha']}", "html_url": p["html_url"]}
            for p in git_commit["parents"]
        ],
    }
    if files:
        data.update(_changes(urls, repo, info.parents[0] if info.parents else _EMPTY_TREE, sha))
    return data


def _changes(urls: Urls, repo: Repo, base: str, sha: str) -> dict[str, Any]:
    entries = diff_entries(urls, repo, base, sha)
    added = sum(e["additions"] for e in entries)
    deleted = sum(e["deletions"] for e in entries)
    stats = {"additions": added, "deletions": deleted, "total": added + deleted}
    return {"stats": stats, "files": entries}


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_STATUS = {"A": "added", "D": "removed", "M": "modified", "T": "changed"}


def diff_entries(urls: Urls, repo: Repo, base: str, head: str) -> list[dict[str, Any]]:
    """``diff-entry`` items between two commits, computed by ``git diff``."""
    out = []
    for code, path, added, deleted in repo.git.changed_files(base, head):
        side = base if code == "D" else head
        blob = repo.git.blob_sha(side, path)
        raw = f"{urls.web}/{repo.full_name}/raw/{side}/{path}"
        out.append(
            {
                "sha": blob,
                "filename": path,
                "status": _STATUS.get(code, "changed"),
                "additions": added,
                "deletions": deleted,
                "changes": added + deleted,
                "blob_url": f"{urls.web}/{repo.full_name}/blob/{side}/{path}",
                "raw_url": raw,
                "contents_url": f"{urls.api}/repos/{repo.full_name}/contents/{path}?ref={side}",
            }
        )
    return out


def ref_json(urls: Urls, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    """A ``git-ref``."""
    api = f"{urls.api}/repos/{repo.full_name}"
    return {
        "ref": ref,
        "node_id": node_id("Ref", f"{repo.id}:{ref}"),
        "url": f"{api}/git/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
    }
