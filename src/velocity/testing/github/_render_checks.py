"""Render statuses, check runs and suites, comments, reactions and the app's own objects."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._model import CheckRun
from velocity.testing.github._model import Comment
from velocity.testing.github._model import Repo
from velocity.testing.github._model import Status
from velocity.testing.github._render_base import Urls
from velocity.testing.github._render_base import example
from velocity.testing.github._render_base import node_id
from velocity.testing.github._render_base import relocate
from velocity.testing.github._render_base import repo_json
from velocity.testing.github._render_base import user_json
from velocity.testing.github._state import State

__all__ = ["check_run_json", "comment_json", "status_json"]


def status_json(state: State, urls: Urls, status: Status) -> dict[str, Any]:
    """A ``status``."""
    return {
        "url": f"{urls.api}/repos/{status.repo.full_name}/statuses/{status.sha}",
        "avatar_url": None,
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": status.created_at,
        "updated_at": status.created_at,
        "creator": user_json(urls, status.creator, state.user_id(status.creator)),
    }


def combined_json(
    state: State, urls: Urls, repo: Repo, sha: str, combined: str, statuses: list[Status]
) -> dict[str, Any]:
    """A ``combined-commit-status``."""
    api = f"{urls.api}/repos/{repo.full_name}"
    simple = []
    for status in statuses:
        item = status_json(state, urls, status)
        item.pop("creator")
        item["required"] = False
        simple.append(item)
    return {
        "state": combined,
        "statuses": simple,
        "sha": sha,
        "total_count": len(simple),
        "repository": _minimal(urls, repo),
        "commit_url": f"{api}/commits/{sha}",
        "url": f"{api}/commits/{sha}/status",
    }


def _minimal(urls: Urls, repo: Repo) -> dict[str, Any]:
    data = repo_json(urls, repo)
    keep = example("combined-commit-status")["repository"].keys()
    return {key: data[key] for key in keep if key in data}


def app_json(state: State, urls: Urls, app_id: int, owner: str) -> dict[str, Any]:
    """An ``integration`` (the authenticated app)."""
    data: dict[str, Any] = relocate(example("integration"), urls)
    data.update(
        id=app_id,
        slug=state.app_slug,
        node_id=node_id("Integration", app_id),
        owner=user_json(urls, owner, state.user_id(owner)),
        name=state.app_slug,
        html_url=f"{urls.web}/apps/{state.app_slug}",
        permissions={
            "checks": "write",
            "contents": "write",
            "metadata": "read",
            "pull_requests": "write",
            "statuses": "write",
            "issues": "write",
        },
        events=["check_run", "check_suite", "issue_comment", "pull_request", "push", "status"],
    )
    return data


def check_run_json(state: State, urls: Urls, run: CheckRun, app: dict[str, Any]) -> dict[str, Any]:
    """A ``check-run``."""
    api = f"{urls.api}/repos/{run.repo.full_name}"
    output = {"title": None, "summary": None, "text": None, **run.output}
    output.pop("annotations", None)
    output.pop("images", None)
    output.update(annotations_count=0, annotations_url=f"{api}/check-runs/{run.id}/annotations")
    pulls = [p for p in state.pulls.values() if p.repo is run.repo and p.head_sha == run.head_sha]
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": node_id("CheckRun", run.id),
        "external_id": run.external_id or "",
        "url": f"{api}/check-runs/{run.id}",
        "html_url": f"{urls.web}/{run.repo.full_name}/runs/{run.id}",
        "details_url": run.details_url or f"{urls.web}/{run.repo.full_name}/runs/{run.id}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "output": output,
        "name": run.name,
        "check_suite": {"id": run.suite_id},
        "app": app,
        "pull_requests": [
            _pull_minimal(urls, p.repo, p.number, p.head_ref, p.head_sha, p.base_ref, p.id)
            for p in pulls
        ],
    }


def _pull_minimal(
    urls: Urls, repo: Repo, number: int, head: str, sha: str, base: str, ident: int
) -> dict[str, Any]:
    mini = {"id": repo.id, "url": f"{urls.api}/repos/{repo.full_name}", "name": repo.name}
    return {
        "url": f"{urls.api}/repos/{repo.full_name}/pulls/{number}",
        "id": ident,
        "number": number,
        "head": {"ref": head, "sha": sha, "repo": mini},
        "base": {"ref": base, "sha": repo.git.ref(f"refs/heads/{base}") or sha, "repo": mini},
    }


def comment_json(state: State, urls: Urls, comment: Comment) -> dict[str, Any]:
    """An ``issue-comment``."""
    data: dict[str, Any] = relocate(example("issue-comment"), urls, comment.repo.full_name)
    api = f"{urls.api}/repos/{comment.repo.full_name}"
    data.update(
        id=comment.id,
        node_id=node_id("IssueComment", comment.id),
        url=f"{api}/issues/comments/{comment.id}",
        html_url=f"{urls.web}/{comment.repo.full_name}/pull/{comment.issue_number}"
        f"#issuecomment-{comment.id}",
        issue_url=f"{api}/issues/{comment.issue_number}",
        body=comment.body,
        user=user_json(urls, comment.user, state.user_id(comment.user)),
        created_at=comment.created_at,
        updated_at=comment.created_at,
        author_association="NONE",
    )
    return data
