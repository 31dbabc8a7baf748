"""Handlers for repositories, branches, commits, comparisons and branch merges."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._call import Call
from velocity.testing.github._call import Handler
from velocity.testing.github._call import Reply
from velocity.testing.github._errors import ApiError
from velocity.testing.github._errors import not_found
from velocity.testing.github._refs import merge_branch
from velocity.testing.github._render_base import commit_json
from velocity.testing.github._render_base import diff_entries
from velocity.testing.github._render_base import repo_json
from velocity.testing.github._render_pulls import branch_json

__all__ = ["HANDLERS"]


def get_repo(call: Call) -> Reply:
    data = repo_json(call.urls, call.repo())
    data["network_count"] = data["subscribers_count"] = 0
    return 200, data


def get_branch(call: Call) -> Reply:
    repo = call.repo()
    branch = call.params["branch"]
    sha = repo.git.ref(f"refs/heads/{branch}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    return 200, branch_json(call.urls, repo, branch, sha)


def get_commit(call: Call) -> Reply:
    repo = call.repo()
    sha = repo.git.resolve(call.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {call.params['ref']}")
    return 200, commit_json(call.urls, repo, sha)


def compare(call: Call) -> Reply:
    repo = call.repo()
    base, head = call.params["base"], call.params["head"]
    base_sha, head_sha = repo.git.resolve(base), repo.git.resolve(head)
    if base_sha is None or head_sha is None:
        raise not_found()
    merge_base = repo.git.merge_base(base_sha, head_sha)
    if merge_base is None:
        raise not_found()
    ahead = repo.git.log(base_sha, head_sha)
    behind = repo.git.log(head_sha, base_sha)
    status = _status(len(ahead), len(behind))
    api = f"{call.urls.api}/repos/{repo.full_name}"
    web = f"{call.urls.web}/{repo.full_name}"
    return 200, {
        "url": f"{api}/compare/{base}...{head}",
        "html_url": f"{web}/compare/{base}...{head}",
        "permalink_url": f"{web}/compare/{repo.owner}:{base_sha[:7]}...{repo.owner}:{head_sha[:7]}",
        "diff_url": f"{web}/compare/{base}...{head}.diff",
        "patch_url": f"{web}/compare/{base}...{head}.patch",
        "base_commit": commit_json(call.urls, repo, base_sha, files=False),
        "merge_base_commit": commit_json(call.urls, repo, merge_base, files=False),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [commit_json(call.urls, repo, sha, files=False) for sha in ahead],
        "files": diff_entries(call.urls, repo, merge_base, head_sha),
    }


def _status(ahead: int, behind: int) -> str:
    if ahead and behind:
        return "diverged"
    return "ahead" if ahead else "behind" if behind else "identical"


def merge(call: Call) -> Reply:
    repo = call.repo()
    body: dict[str, Any] = call.body
    merged = merge_branch(call.state, repo, body["base"], body["head"], body.get("commit_message"))
    if merged is None:
        return 204, None
    return 201, commit_json(call.urls, repo, merged)


HANDLERS: dict[str, Handler] = {
    "repos/get": get_repo,
    "repos/get-branch": get_branch,
    "repos/get-commit": get_commit,
    "repos/compare-commits": compare,
    "repos/merge": merge,
}
