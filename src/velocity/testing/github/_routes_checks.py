"""Handlers for commit statuses, check runs and check suites."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._call import Call
from velocity.testing.github._call import Handler
from velocity.testing.github._call import Reply
from velocity.testing.github._checks import combined_state
from velocity.testing.github._checks import create_check_run
from velocity.testing.github._checks import create_status
from velocity.testing.github._checks import latest_statuses
from velocity.testing.github._checks import suite_state
from velocity.testing.github._checks import update_check_run
from velocity.testing.github._errors import not_found
from velocity.testing.github._render_base import repo_json
from velocity.testing.github._render_checks import app_json
from velocity.testing.github._render_checks import check_run_json
from velocity.testing.github._render_checks import combined_json
from velocity.testing.github._render_checks import status_json

__all__ = ["HANDLERS"]


def _page(call: Call, items: list[Any]) -> list[Any]:
    page, per_page = call.query.get("page", 1), call.query.get("per_page", 30)
    return items[(page - 1) * per_page : page * per_page]


def _app(call: Call) -> dict[str, Any]:
    return app_json(call.state, call.urls, call.app.app_id, call.app.owner)


def post_status(call: Call) -> Reply:
    repo = call.repo()
    status = create_status(call.state, repo, call.params["sha"], call.body, call.actor)
    return 201, status_json(call.state, call.urls, status)


def combined(call: Call) -> Reply:
    repo = call.repo()
    sha = call.state.commit_or_404(repo, call.params["ref"])
    latest = latest_statuses(call.state, repo, sha)
    return 200, combined_json(call.state, call.urls, repo, sha, combined_state(latest), latest)


def list_statuses(call: Call) -> Reply:
    repo = call.repo()
    sha = call.state.commit_or_404(repo, call.params["ref"])
    found = [s for s in reversed(call.state.statuses) if s.repo is repo and s.sha == sha]
    return 200, [status_json(call.state, call.urls, s) for s in _page(call, found)]


def post_check_run(call: Call) -> Reply:
    run = create_check_run(call.state, call.repo(), call.body)
    return 201, check_run_json(call.state, call.urls, run, _app(call))


def get_check_run(call: Call) -> Reply:
    run = call.state.check_runs.get(call.params["check_run_id"])
    if run is None or run.repo is not call.repo():
        raise not_found()
    return 200, check_run_json(call.state, call.urls, run, _app(call))


def patch_check_run(call: Call) -> Reply:
    run = update_check_run(call.state, call.repo(), call.params["check_run_id"], call.body)
    return 200, check_run_json(call.state, call.urls, run, _app(call))


def list_for_ref(call: Call) -> Reply:
    repo = call.repo()
    sha = call.state.commit_or_404(repo, call.params["ref"])
    runs = [r for r in call.state.check_runs.values() if r.repo is repo and r.head_sha == sha]
    if "check_name" in call.query:
        runs = [r for r in runs if r.name == call.query["check_name"]]
    if "status" in call.query:
        runs = [r for r in runs if r.status == call.query["status"]]
    if call.query.get("filter", "latest") == "latest":
        by_name = {r.name: r for r in sorted(runs, key=lambda r: r.id)}
        runs = sorted(by_name.values(), key=lambda r: -r.id)
    items = [check_run_json(call.state, call.urls, r, _app(call)) for r in _page(call, runs)]
    return 200, {"total_count": len(runs), "check_runs": items}


def list_suites(call: Call) -> Reply:
    repo = call.repo()
    sha = call.state.commit_or_404(repo, call.params["ref"])
    suites = [
        suite_json(call, suite_id, sha)
        for (name, head), suite_id in call.state.suites.items()
        if name == repo.full_name and head == sha
    ]
    return 200, {"total_count": len(suites), "check_suites": suites}


def suite_json(call: Call, suite_id: int, sha: str) -> dict[str, Any]:
    """A ``check-suite``: status and conclusion folded from its runs."""
    repo = call.repo()
    runs = [r for r in call.state.check_runs.values() if r.suite_id == suite_id]
    status, conclusion = suite_state(runs)
    branch = next((p.head_ref for p in call.state.pulls.values() if p.head_sha == sha), None)
    api = f"{call.urls.api}/repos/{repo.full_name}"
    return {
        "id": suite_id,
        "node_id": f"CS_{suite_id}",
        "head_branch": branch,
        "head_sha": sha,
        "status": status,
        "conclusion": conclusion,
        "url": f"{api}/check-suites/{suite_id}",
        "before": None,
        "after": sha,
        "pull_requests": [],
        "app": _app(call),
        "repository": repo_json(call.urls, repo),
        "created_at": None,
        "updated_at": None,
        "head_commit": _head_commit(call, sha),
        "latest_check_runs_count": len(runs),
        "check_runs_url": f"{api}/check-suites/{suite_id}/check-runs",
        "rerequestable": True,
        "runs_rerequestable": True,
    }


def _head_commit(call: Call, sha: str) -> dict[str, Any]:
    info = call.repo().git.commit(sha)
    return {
        "id": sha,
        "tree_id": info.tree,
        "message": info.message.rstrip("\n"),
        "timestamp": "1970-01-01T00:00:00Z",
        "author": {"name": info.author[0], "email": info.author[1]},
        "committer": {"name": info.committer[0], "email": info.committer[1]},
    }


HANDLERS: dict[str, Handler] = {
    "repos/create-commit-status": post_status,
    "repos/get-combined-status-for-ref": combined,
    "repos/list-commit-statuses-for-ref": list_statuses,
    "checks/create": post_check_run,
    "checks/get": get_check_run,
    "checks/update": patch_check_run,
    "checks/list-for-ref": list_for_ref,
    "checks/list-suites-for-ref": list_suites,
}
