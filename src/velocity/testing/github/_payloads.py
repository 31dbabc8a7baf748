"""Webhook payloads: GitHub's example for the event, patched with the double's real state."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from velocity.testing.github._auth import AppIdentity
from velocity.testing.github._checks import suite_state
from velocity.testing.github._fixtures import fixtures_dir
from velocity.testing.github._model import Repo
from velocity.testing.github._model import iso_now
from velocity.testing.github._payload_push import patch_push
from velocity.testing.github._render_base import Urls
from velocity.testing.github._render_base import commit_json
from velocity.testing.github._render_base import relocate
from velocity.testing.github._render_base import repo_json
from velocity.testing.github._render_base import user_json
from velocity.testing.github._render_checks import app_json
from velocity.testing.github._render_checks import check_run_json
from velocity.testing.github._render_checks import comment_json
from velocity.testing.github._render_checks import status_json
from velocity.testing.github._render_pulls import label_json
from velocity.testing.github._render_pulls import pull_json
from velocity.testing.github._state import DomainEvent
from velocity.testing.github._state import State

__all__ = ["BUILDERS", "PayloadContext", "build_payload", "schema_pointer"]


@dataclass
class PayloadContext:
    """What payload builders read: the state, where the double lives, and the app."""

    state: State
    urls: Urls
    app: AppIdentity


#: A builder patches the example payload of its event in place.
Builder = Callable[[PayloadContext, DomainEvent, dict[str, Any]], None]


@functools.cache
def _example(event: str, action: str | None) -> dict[str, Any]:
    folder = fixtures_dir() / "github-payloads" / event
    name = f"{action}.payload.json" if action else "payload.json"
    data: dict[str, Any] = json.loads((folder / name).read_text("utf-8"))
    return data


def schema_pointer(event: str, action: str | None) -> str:
    """The JSON pointer of the subset's ``x-webhooks`` schema for *event*/*action*."""
    name = event.replace("_", "-") + (f"-{action.replace('_', '-')}" if action else "")
    return f"/x-webhooks/{name}/post/requestBody/content/application~1json/schema"


def _overlay(template: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    # Keep the example's keys (the webhook shape) and take every value the double knows.
    return {**template, **live}


def webhook_repo(ctx: PayloadContext, repo: Repo, template: dict[str, Any]) -> dict[str, Any]:
    """The payload's ``repository``: the example's shape with the real repository's facts."""
    data = _overlay(relocate(template, ctx.urls, repo.full_name), repo_json(ctx.urls, repo))
    data.setdefault("has_discussions", False)
    return data


def build_payload(
    ctx: PayloadContext, event: DomainEvent, *, from_state: bool = True
) -> dict[str, Any]:
    """Build the payload GitHub would send for *event*, from the example of its kind.

    With *from_state* False only repository, installation and sender are patched.
    """
    payload = copy.deepcopy(_example(event.event, event.action))
    if "repository" in payload:
        payload["repository"] = webhook_repo(ctx, event.repo, payload["repository"])
    _installation(ctx, payload)
    actor = event.extra.get("sender", ctx.state.bot_login)
    payload["sender"] = user_json(ctx.urls, actor, ctx.state.user_id(actor))
    payload.pop("enterprise", None)
    builder = BUILDERS.get(event.event) if from_state else None
    if builder is not None:
        payload.pop("organization", None)
        builder(ctx, event, payload)
    return payload


def _installation(ctx: PayloadContext, payload: dict[str, Any]) -> None:
    ident = ctx.app.installation_id
    current = payload.get("installation") or {}
    if "account" in current:
        # installation.* events carry the whole installation object.
        # The example predates ISO timestamps there; GitHub now sends strings.
        now = iso_now()
        current.update(
            id=ident, app_id=ctx.app.app_id, app_slug=ctx.app.slug, created_at=now, updated_at=now
        )
        current["account"] = user_json(ctx.urls, ctx.app.owner, ctx.state.user_id(ctx.app.owner))
        return
    payload["installation"] = {"id": ident, "node_id": f"MDIzOkludGVncmF0aW9u{ident}"}


def _pull_request(ctx: PayloadContext, event: DomainEvent, payload: dict[str, Any]) -> None:
    assert event.pull is not None
    live = pull_json(ctx.state, ctx.urls, event.pull)
    for side in ("head", "base"):
        live[side]["repo"] = webhook_repo(ctx, event.repo, payload["pull_request"][side]["repo"])
    payload["pull_request"] = _overlay(payload["pull_request"], live)
    payload["number"] = event.pull.number
    if "label" in event.extra:
        payload["label"] = label_json(ctx.urls, event.repo, event.extra["label"])
    if event.action == "synchronize":
        payload["before"], payload["after"] = event.extra["before"], event.extra["after"]


def _status(ctx: PayloadContext, event: DomainEvent, payload: dict[str, Any]) -> None:
    status = event.extra["status"]
    live = status_json(ctx.state, ctx.urls, status)
    commit = _overlay(payload["commit"], commit_json(ctx.urls, event.repo, status.sha, files=False))
    commit["commit"]["verification"]["verified_at"] = None
    branches = [
        {
            "name": ref.removeprefix("refs/heads/"),
            "protected": False,
            "commit": {
                "sha": sha,
                "url": f"{ctx.urls.api}/repos/{event.repo.full_name}/commits/{sha}",
            },
        }
        for ref, sha in event.repo.git.refs("refs/heads/").items()
        if event.repo.git.is_ancestor(status.sha, sha)
    ]
    payload.update(
        id=status.id,
        sha=status.sha,
        name=event.repo.full_name,
        state=status.state,
        context=status.context,
        description=status.description,
        target_url=status.target_url,
        commit=commit,
        branches=branches,
        created_at=live["created_at"],
        updated_at=live["updated_at"],
        avatar_url=None,
    )


def _check_run(ctx: PayloadContext, event: DomainEvent, payload: dict[str, Any]) -> None:
    run = event.extra["run"]
    app = app_json(ctx.state, ctx.urls, ctx.app.app_id, ctx.app.owner)
    live = check_run_json(ctx.state, ctx.urls, run, app)
    suite = _suite(ctx, event, payload["check_run"]["check_suite"], run.suite_id, run.head_sha)
    live["check_suite"] = suite
    payload["check_run"] = _overlay(payload["check_run"], live)


def _suite(
    ctx: PayloadContext, event: DomainEvent, template: dict[str, Any], suite_id: int, sha: str
) -> dict[str, Any]:
    runs = [r for r in ctx.state.check_runs.values() if r.suite_id == suite_id]
    status, conclusion = suite_state(runs)
    pulls = [p for p in ctx.state.pulls.values() if p.repo is event.repo and p.head_sha == sha]
    app = app_json(ctx.state, ctx.urls, ctx.app.app_id, ctx.app.owner)
    suite = relocate(template, ctx.urls, event.repo.full_name)
    suite.update(
        id=suite_id,
        node_id=f"CS_{suite_id}",
        head_sha=sha,
        after=sha,
        before=None,
        head_branch=pulls[0].head_ref if pulls else None,
        status=status,
        conclusion=conclusion,
        url=f"{ctx.urls.api}/repos/{event.repo.full_name}/check-suites/{suite_id}",
        app=_overlay(template.get("app", {}), app),
        pull_requests=check_run_json(ctx.state, ctx.urls, runs[0], app)["pull_requests"],
    )
    return dict(suite)


def _check_suite(ctx: PayloadContext, event: DomainEvent, payload: dict[str, Any]) -> None:
    suite = _suite(
        ctx, event, payload["check_suite"], event.extra["suite_id"], event.extra["head_sha"]
    )
    head = commit_json(ctx.urls, event.repo, event.extra["head_sha"], files=False)
    suite["head_commit"] = {
        **payload["check_suite"].get("head_commit", {}),
        "id": head["sha"],
        "tree_id": head["commit"]["tree"]["sha"],
        "message": head["commit"]["message"],
        "timestamp": head["commit"]["committer"]["date"],
        "author": {k: head["commit"]["author"][k] for k in ("name", "email")},
        "committer": {k: head["commit"]["committer"][k] for k in ("name", "email")},
    }
    suite["latest_check_runs_count"] = len(event.extra["runs"])
    payload["check_suite"] = suite


def _issue_comment(ctx: PayloadContext, event: DomainEvent, payload: dict[str, Any]) -> None:
    assert event.pull is not None
    comment = event.extra["comment"]
    pull = pull_json(ctx.state, ctx.urls, event.pull)
    issue = payload["issue"]
    api = f"{ctx.urls.api}/repos/{event.repo.full_name}"
    issue.update({key: pull[key] for key in issue if key in pull and key != "url"})
    issue.update(
        url=f"{api}/issues/{event.pull.number}",
        repository_url=api,
        labels_url=f"{api}/issues/{event.pull.number}/labels{{/name}}",
        comments_url=f"{api}/issues/{event.pull.number}/comments",
        events_url=f"{api}/issues/{event.pull.number}/events",
        comments=event.pull.comments,
        pull_request={
            "url": pull["url"],
            "html_url": pull["html_url"],
            "diff_url": pull["diff_url"],
            "patch_url": pull["patch_url"],
            "merged_at": pull["merged_at"],
        },
    )
    payload["comment"] = _overlay(payload["comment"], comment_json(ctx.state, ctx.urls, comment))
    payload["sender"] = payload["comment"]["user"]


def _push(ctx: PayloadContext, event: DomainEvent, payload: dict[str, Any]) -> None:
    patch_push(ctx.urls, event.repo, event.extra, payload)


BUILDERS: dict[str, Builder] = {
    "push": _push,
    "pull_request": _pull_request,
    "status": _status,
    "check_run": _check_run,
    "check_suite": _check_suite,
    "issue_comment": _issue_comment,
}
