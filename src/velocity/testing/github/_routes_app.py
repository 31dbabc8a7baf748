"""Handlers for the app itself: ``/app``, installation tokens and installation lookups."""

from __future__ import annotations

from typing import Any

from velocity.testing.github._call import Call
from velocity.testing.github._call import Handler
from velocity.testing.github._call import Reply
from velocity.testing.github._errors import ApiError
from velocity.testing.github._errors import not_found
from velocity.testing.github._render_base import example
from velocity.testing.github._render_base import relocate
from velocity.testing.github._render_base import repo_json
from velocity.testing.github._render_base import user_json
from velocity.testing.github._render_checks import app_json

__all__ = ["HANDLERS"]

_PERMISSIONS = {
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}


def _require_app(call: Call) -> None:
    if call.credential.kind != "app":
        raise ApiError(401, "A JSON web token could not be decoded")


def _require_installation(call: Call) -> None:
    if call.credential.kind != "installation":
        raise ApiError(403, "This endpoint requires an installation access token")


def installation_json(call: Call) -> dict[str, Any]:
    app = call.app
    data: dict[str, Any] = relocate(example("installation"), call.urls)
    data.update(
        id=app.installation_id,
        account=user_json(call.urls, app.owner, call.state.user_id(app.owner)),
        repository_selection="all",
        access_tokens_url=f"{call.urls.api}/app/installations/{app.installation_id}/access_tokens",
        app_id=app.app_id,
        target_id=call.state.user_id(app.owner),
        target_type="User",
        permissions=_PERMISSIONS,
        app_slug=app.slug,
        events=["check_run", "check_suite", "issue_comment", "pull_request", "push", "status"],
    )
    return data


def get_authenticated(call: Call) -> Reply:
    _require_app(call)
    return 200, app_json(call.state, call.urls, call.app.app_id, call.app.owner)


def create_access_token(call: Call) -> Reply:
    _require_app(call)
    if call.params["installation_id"] != call.app.installation_id:
        raise not_found()
    token, expires_at = call.app.issue_token()
    body = call.body or {}
    repos = list(call.state.repos.values())
    if body.get("repositories"):
        repos = [r for r in repos if r.name in body["repositories"]]
    return 201, {
        "token": token,
        "expires_at": expires_at,
        "permissions": body.get("permissions") or _PERMISSIONS,
        "repository_selection": "selected" if body.get("repositories") else "all",
        "repositories": [repo_json(call.urls, r) for r in repos],
    }


def get_repo_installation(call: Call) -> Reply:
    _require_app(call)
    call.repo()
    return 200, installation_json(call)


def list_installation_repos(call: Call) -> Reply:
    _require_installation(call)
    repos = [repo_json(call.urls, r) for r in call.state.repos.values()]
    page, per_page = call.query.get("page", 1), call.query.get("per_page", 30)
    chunk = repos[(page - 1) * per_page : page * per_page]
    return 200, {"total_count": len(repos), "repositories": chunk, "repository_selection": "all"}


HANDLERS: dict[str, Handler] = {
    "apps/get-authenticated": get_authenticated,
    "apps/create-installation-access-token": create_access_token,
    "apps/get-repo-installation": get_repo_installation,
    "apps/list-repos-accessible-to-installation": list_installation_repos,
}
