"""The double's ASGI app: match the subset, authenticate, validate, dispatch, validate again."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route

from velocity.testing.github._auth import AppIdentity
from velocity.testing.github._call import Call
from velocity.testing.github._call import Reply
from velocity.testing.github._errors import ApiError
from velocity.testing.github._openapi import Operation
from velocity.testing.github._openapi import Spec
from velocity.testing.github._render_base import Urls
from velocity.testing.github._routes import HANDLERS
from velocity.testing.github._state import State
from velocity.testing.github._validate import Violations
from velocity.testing.github._validate import check_request
from velocity.testing.github._validate import check_response

__all__ = ["API_PREFIX", "VIOLATION_STATUS", "ApiContext", "build_app"]

#: GitHub Enterprise Server serves its REST API under this prefix; the double accepts both.
API_PREFIX = "/api/v3"
#: The status a response that broke the subset is replaced with: never sent by GitHub, and
#: a 4xx so clients fail at once instead of retrying as they do on 5xx.
VIOLATION_STATUS = 418
_APP_OPERATIONS = {
    "apps/get-authenticated",
    "apps/create-installation-access-token",
    "apps/get-repo-installation",
}


@dataclass
class ApiContext:
    """Everything a request needs: the spec, the state, the app, and where violations go."""

    spec: Spec
    state: State
    app: AppIdentity
    violations: Violations
    urls: Urls = field(default_factory=lambda: Urls("http://127.0.0.1", "http://127.0.0.1"))
    requests: list[tuple[str, str, int]] = field(default_factory=list)


def _prepare(ctx: ApiContext, op: Operation, request: dict[str, Any], where: str) -> Call:
    # GitHub authenticates before it validates: a bad token is a 401 whatever the body.
    credential = ctx.app.authenticate(request["authorization"])
    if (credential.kind == "app") != (op.operation_id in _APP_OPERATIONS):
        status = 403 if credential.kind == "app" else 401
        raise ApiError(status, "Wrong credential for this endpoint (app JWT vs installation token)")
    path, query, errors = check_request(
        ctx.spec, op, request["path"], request["query"], request["body"]
    )
    if errors:
        ctx.violations.add("request", where, errors)
        details = [{"resource": "Request", "code": "invalid", "message": e} for e in errors]
        raise ApiError(422, "Invalid request.\n\n" + "\n".join(errors), errors=details)
    return Call(ctx.state, ctx.urls, ctx.app, credential, path, query, request["body"])


def _dispatch(ctx: ApiContext, op: Operation, request: dict[str, Any]) -> Reply:
    where = f"{op.method} {op.template} ({op.operation_id})"
    try:
        call = _prepare(ctx, op, request, where)
        handler = HANDLERS.get(op.operation_id)
        if handler is None:
            raise ApiError(501, f"Not implemented by the GitHub double: {op.operation_id}")
        with ctx.state.lock:
            status, body = handler(call)
    except ApiError as exc:
        status, body = exc.status, exc.body()
    problems = check_response(ctx.spec, op, status, body)
    if problems:
        ctx.violations.add("response", f"{where} -> {status}", problems)
        message = "The GitHub double's response broke the OpenAPI subset: " + "; ".join(problems)
        return VIOLATION_STATUS, {"message": message}
    return status, body


async def _endpoint(request: Request) -> Response:
    ctx: ApiContext = request.app.state.ctx
    path = request.url.path.removeprefix(API_PREFIX) or "/"
    op, params = ctx.spec.match(request.method, path)
    if op is None:
        ctx.violations.add("request", f"{request.method} {path}", ["not a path of the subset"])
        return JSONResponse({"message": "Not Found"}, status_code=404)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        ctx.violations.add("request", f"{request.method} {path}", ["body is not JSON"])
        return JSONResponse({"message": "Problems parsing JSON"}, status_code=400)
    call = {
        "path": params,
        "query": dict(request.query_params),
        "body": body,
        "authorization": request.headers.get("authorization"),
    }
    status, payload = await run_in_threadpool(_dispatch, ctx, op, call)
    ctx.requests.append((request.method, path, status))
    headers = {"X-GitHub-Request-Id": uuid.uuid4().hex, "X-GitHub-Media-Type": "github.v3"}
    if payload is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(payload, status_code=status, headers=headers)


def build_app(ctx: ApiContext) -> Starlette:
    """A Starlette app serving the subset at ``/`` and at ``/api/v3`` (GHES style)."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", _endpoint, methods=methods)])
    app.state.ctx = ctx
    return app
