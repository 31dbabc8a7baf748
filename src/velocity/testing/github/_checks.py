"""Commit statuses and check runs, with the events GitHub sends when they change."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._errors import invalid
from velocity.testing.github._errors import not_found
from velocity.testing.github._model import CheckRun
from velocity.testing.github._model import Repo
from velocity.testing.github._model import Status
from velocity.testing.github._model import iso_now
from velocity.testing.github._state import DomainEvent
from velocity.testing.github._state import State

__all__ = [
    "combined_state",
    "create_check_run",
    "create_status",
    "latest_statuses",
    "suite_state",
]

_RUN_FIELDS = ("name", "details_url", "external_id", "status", "conclusion", "started_at")


def create_status(state: State, repo: Repo, sha: str, body: dict[str, Any], creator: str) -> Status:
    if repo.git.resolve(sha) != sha:
        raise invalid(f"No commit found for SHA: {sha}", "sha")
    status = Status(
        id=state.next_id(),
        repo=repo,
        sha=sha,
        state=body["state"],
        context=body.get("context") or "default",
        description=body.get("description"),
        target_url=body.get("target_url"),
        creator=creator,
    )
    state.statuses.append(status)
    state.emit(DomainEvent("status", repo, extra={"status": status}))
    return status


def latest_statuses(state: State, repo: Repo, sha: str) -> list[Status]:
    """The newest status per context, newest first."""
    seen: dict[str, Status] = {}
    for status in reversed(state.statuses):
        if status.repo is repo and status.sha == sha:
            seen.setdefault(status.context, status)
    return list(seen.values())


def combined_state(statuses: list[Status]) -> str:
    """GitHub's rule: any error/failure fails; any pending (or none at all) is pending."""
    states = {s.state for s in statuses}
    if states & {"error", "failure"}:
        return "failure"
    if not statuses or "pending" in states:
        return "pending"
    return "success"


def create_check_run(state: State, repo: Repo, body: dict[str, Any]) -> CheckRun:
    sha = body["head_sha"]
    if repo.git.resolve(sha) != sha:
        raise invalid("No commit found for SHA", "head_sha")
    run = CheckRun(state.next_id(), state.suite_id(repo, sha), repo, sha, body["name"])
    state.check_runs[run.id] = run
    _apply(run, body)
    state.emit(DomainEvent("check_run", repo, "created", extra={"run": run}))
    _after_change(state, run, was_completed=False)
    return run


def update_check_run(state: State, repo: Repo, run_id: int, body: dict[str, Any]) -> CheckRun:
    run = state.check_runs.get(run_id)
    if run is None or run.repo is not repo:
        raise not_found()
    was_completed = run.status == "completed"
    _apply(run, body)
    _after_change(state, run, was_completed)
    return run


def _apply(run: CheckRun, body: dict[str, Any]) -> None:
    # Setting a conclusion completes the run, as GitHub documents; completing needs one.
    completes = body.get("conclusion") is not None or body.get("status") == "completed"
    if completes and body.get("conclusion", run.conclusion) is None:
        raise invalid("conclusion is required when status is completed", "conclusion")
    for name in _RUN_FIELDS:
        if name in body:
            setattr(run, name, body[name])
    if "output" in body:
        run.output = body["output"]
    if completes:
        run.status = "completed"
        run.completed_at = body.get("completed_at") or run.completed_at or iso_now()
    run.started_at = run.started_at or iso_now()


def _after_change(state: State, run: CheckRun, was_completed: bool) -> None:
    if run.status != "completed" or was_completed:
        return
    state.emit(DomainEvent("check_run", run.repo, "completed", extra={"run": run}))
    suite = [r for r in state.check_runs.values() if r.suite_id == run.suite_id]
    if all(r.status == "completed" for r in suite):
        extra = {"suite_id": run.suite_id, "runs": suite, "head_sha": run.head_sha}
        state.emit(DomainEvent("check_suite", run.repo, "completed", extra=extra))


_FAILING = ("action_required", "cancelled", "failure", "timed_out")


def suite_state(runs: list[CheckRun]) -> tuple[str, str | None]:
    """A check suite's ``(status, conclusion)``, folded from its runs."""
    if not all(r.status == "completed" for r in runs):
        return "in_progress", None
    failing = [c for c in _FAILING if any(r.conclusion == c for r in runs)]
    return "completed", failing[0] if failing else "success"
