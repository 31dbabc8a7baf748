"""The JSON API: one small handler per route; domain work lives in the services."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.responses import StreamingResponse

from velocity.core.errors import VelocityError
from velocity.dashboard._graph import NotFound
from velocity.dashboard._services import Services

__all__ = ["ApiError", "api"]

Handler = Callable[[Request], Awaitable[Response]]
OPENAPI = Path(__file__).with_name("openapi.json")
_log = structlog.get_logger("velocity.dashboard")


class ApiError(VelocityError):
    """A request the API refuses; *status* is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def api(func: Callable[[Request, Services], Awaitable[Response]]) -> Handler:
    """Run *func* with the app's services; every failure becomes a JSON error, never a trace."""

    @functools.wraps(func)
    async def handler(request: Request) -> Response:
        try:
            return await func(request, request.app.state.velocity_dashboard)
        except ApiError as exc:
            return error(exc.message, exc.status)
        except NotFound as exc:
            return error(exc.message, 404)
        except VelocityError as exc:
            return error(exc.message, 503)
        except Exception as exc:
            _log.exception("dashboard_api_failed", path=request.url.path)
            return error(f"internal error: {type(exc).__name__}", 500)

    return handler


def _service(found: Any, what: str) -> Any:
    if found is None:
        raise ApiError(f"this dashboard has no {what} configured", 404)
    return found


@api
async def graph(request: Request, services: Services) -> Response:
    service = _service(services.graph, "repository")
    refresh = request.query_params.get("refresh") in ("1", "true")
    return JSONResponse(await run_in_threadpool(services.graph_json, service, refresh))


@api
async def why(request: Request, services: Services) -> Response:
    service = _service(services.graph, "repository")
    test = request.query_params.get("test")
    if not test:
        raise ApiError("the 'test' query parameter is required")
    snapshot = await run_in_threadpool(service.snapshot)
    return JSONResponse(snapshot.why(test, request.query_params.get("changed") or None))


@api
async def queues(request: Request, services: Services) -> Response:
    monitor = _service(services.queues, "queue store")
    return JSONResponse(await run_in_threadpool(monitor.snapshot))


@api
async def queues_stream(request: Request, services: Services) -> Response:
    monitor = _service(services.queues, "queue store")
    await run_in_threadpool(monitor.ensure_started)

    async def events() -> AsyncIterator[str]:
        seen = -1
        async for tick in _ticks(services):
            if monitor.version != seen:
                data = await run_in_threadpool(monitor.snapshot)
                seen = data["version"]
                yield _sse(data, event="queues", ident=seen)
            elif tick:
                yield ": keep-alive\n\n"

    return _stream(events())


@api
async def agents(request: Request, services: Services) -> Response:
    return JSONResponse({"agents": services.logs.agents_json()})


def _agent_index(request: Request, services: Services) -> int:
    index: int = request.path_params["agent"]
    if services.logs.agent(index) is None:
        raise ApiError(f"no agent {index}", 404)
    return index


def _after(request: Request) -> int:
    raw = request.query_params.get("after") or request.headers.get("last-event-id") or "0"
    try:
        return max(int(raw), 0)
    except ValueError:
        raise ApiError(f"'after' must be a number, not {raw!r}") from None


@api
async def agent_logs(request: Request, services: Services) -> Response:
    index = _agent_index(request, services)
    lines = services.logs.lines(index, _after(request))
    agent = services.logs.agent(index)
    return JSONResponse({"agent": agent, "lines": [line.to_json() for line in lines]})


@api
async def agent_stream(request: Request, services: Services) -> Response:
    index, after = _agent_index(request, services), _after(request)
    hub = services.logs

    async def events() -> AsyncIterator[str]:
        nonlocal after
        status = None
        async for tick in _ticks(services):
            agent = hub.agent(index) or {}
            if agent.get("status") != status:
                status = agent.get("status")
                yield _sse(agent, event="status")
            lines = hub.lines(index, after)
            for line in lines:
                after = line.seq
                yield _sse(line.to_json(), event="line", ident=line.seq)
            if tick and not lines:
                yield ": keep-alive\n\n"

    return _stream(events())


async def openapi(request: Request) -> Response:
    return Response(OPENAPI.read_bytes(), media_type="application/json")


async def _ticks(
    services: Services, every: float = 0.2, keep_alive: float = 5.0
) -> AsyncIterator[bool]:
    # Poll; True now and then, when a stream should write a comment (a client that went
    # away is noticed on a write). Ends when the server stops.
    beats = max(int(keep_alive / every), 1)
    count = 0
    while not services.closing.is_set():
        count += 1
        yield count % beats == 0
        await asyncio.sleep(every)


def _sse(data: Any, *, event: str, ident: int | None = None) -> str:
    head = f"event: {event}\n" + (f"id: {ident}\n" if ident is not None else "")
    return head + f"data: {json.dumps(data, separators=(',', ':'))}\n\n"


def _stream(events: AsyncIterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
