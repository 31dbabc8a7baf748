"""Handlers for pull requests."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._call import Call
from velocity.testing.github._call import Handler
from velocity.testing.github._call import Reply
from velocity.testing.github._errors import not_found
from velocity.testing.github._model import Pull
from velocity.testing.github._pulls import merge_pull
from velocity.testing.github._pulls import open_pull
from velocity.testing.github._pulls import update_branch
from velocity.testing.github._render_base import commit_json
from velocity.testing.github._render_base import diff_entries
from velocity.testing.github._render_pulls import pull_json

__all__ = ["HANDLERS"]


def _page(call: Call, items: list[Any]) -> list[Any]:
    page, per_page = call.query.get("page", 1), call.query.get("per_page", 30)
    return items[(page - 1) * per_page : page * per_page]


def _pull(call: Call) -> Pull:
    return call.state.pull(call.repo(), call.params["pull_number"])


def list_pulls(call: Call) -> Reply:
    repo = call.repo()
    want = call.query.get("state", "open")
    head, base = call.query.get("head"), call.query.get("base")
    pulls = [
        p
        for p in sorted(call.state.pulls.values(), key=lambda p: -p.number)
        if p.repo is repo
        and want in ("all", p.state)
        and (head is None or head in (f"{repo.owner}:{p.head_ref}", p.head_ref))
        and (base is None or base == p.base_ref)
    ]
    if call.query.get("direction") == "asc":
        pulls.reverse()
    return 200, [pull_json(call.state, call.urls, p, simple=True) for p in _page(call, pulls)]


def get_pull(call: Call) -> Reply:
    return 200, pull_json(call.state, call.urls, _pull(call))


def create_pull(call: Call) -> Reply:
    body = call.body
    repo = call.repo()
    title = body.get("title") or body["head"]
    draft = bool(body.get("draft", False))
    pull = open_pull(
        call.state,
        repo,
        body["head"],
        body["base"],
        title,
        body.get("body"),
        call.actor,
        draft=draft,
    )
    return 201, pull_json(call.state, call.urls, pull)


def merge(call: Call) -> Reply:
    pull = _pull(call)
    body = call.body or {}
    sha = merge_pull(
        call.state,
        pull,
        body.get("sha"),
        body.get("merge_method", "merge"),
        body.get("commit_title"),
        body.get("commit_message"),
    )
    return 200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}


def list_commits(call: Call) -> Reply:
    pull = _pull(call)
    repo = pull.repo
    base = repo.git.ref(f"refs/heads/{pull.base_ref}") or pull.head_sha
    merge_base = repo.git.merge_base(base, pull.head_sha) or base
    shas = repo.git.log(merge_base, pull.head_sha)
    return 200, [commit_json(call.urls, repo, sha, files=False) for sha in _page(call, shas)]


def list_files(call: Call) -> Reply:
    pull = _pull(call)
    repo = pull.repo
    base = repo.git.ref(f"refs/heads/{pull.base_ref}") or pull.head_sha
    merge_base = repo.git.merge_base(base, pull.head_sha) or base
    return 200, _page(call, diff_entries(call.urls, repo, merge_base, pull.head_sha))


def list_reviews(call: Call) -> Reply:
    _pull(call)
    # The double has no reviewers: every PR has zero reviews.
    return 200, []


def put_update_branch(call: Call) -> Reply:
    pull = _pull(call)
    if pull.state != "open":
        raise not_found()
    update_branch(call.state, pull, (call.body or {}).get("expected_head_sha"))
    url = f"{call.urls.web}/{pull.repo.full_name}/pull/{pull.number}"
    return 202, {"message": "Updating pull request branch.", "url": url}


HANDLERS: dict[str, Handler] = {
    "pulls/list": list_pulls,
    "pulls/get": get_pull,
    "pulls/create": create_pull,
    "pulls/merge": merge,
    "pulls/list-commits": list_commits,
    "pulls/list-files": list_files,
    "pulls/list-reviews": list_reviews,
    "pulls/update-branch": put_update_branch,
}
