"""``create_app``: the dashboard as one Starlette application, mountable anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import Response
from starlette.routing import Mount
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from velocity.dashboard import _api
from velocity.dashboard import _pages
from velocity.dashboard._graph import GraphService
from velocity.dashboard._logs import LogHub
from velocity.dashboard._logs import LogSource
from velocity.dashboard._logs import livepatch_source
from velocity.dashboard._queue import QueueMonitor
from velocity.dashboard._services import Services
from velocity.livepatch.client import ConnectOptions

__all__ = ["create_app"]

STATIC = Path(__file__).with_name("static")


def create_app(
    *,
    repo: Path | None = None,
    base: str | None = None,
    store: str | None = None,
    agents: Sequence[str] = (),
    connect_options: ConnectOptions | None = None,
    log_source: LogSource | None = None,
    poll_interval: float = 0.3,
) -> Starlette:
    """The dashboard over a repository's graph, merge queues and LivePatch agents.

    Pages: ``/graph``, ``/queue``, ``/logs``; the JSON API under ``/api`` is described
    by ``/api/openapi.json``. Every URL is relative, so the app works under a
    :class:`~starlette.routing.Mount`. Background threads start on first use (a
    mounted app gets no lifespan of its own) and stop with the app's lifespan.

    :param repo: a directory in a git work tree, for the dependency graph.
    :param base: the ref changes count from (default: depci's default base).
    :param store: a ``redis://`` URL, a SQLite file or a directory of SQLite files;
        default ``REPO/.velocity/quantum.db`` when *repo* is given.
    :param agents: LivePatch targets whose process logs to follow (``agent://host:port``).
    :param connect_options: TLS and SSH settings for reaching *agents*.
    :param log_source: where log events come from (default: the LivePatch client).
    :raises VelocityError: *repo* is not in a git work tree; *store* is malformed or
        unreachable (:class:`~velocity.quantum.store.StoreError`).

    .. versionadded:: 0.3
    """
    graph = GraphService(repo, base) if repo is not None else None
    monitor = None
    if store is not None:
        monitor = QueueMonitor(store, interval=poll_interval)
    elif graph is not None:
        default = graph.root / ".velocity" / "quantum.db"
        monitor = QueueMonitor(str(default), must_exist=False, interval=poll_interval)
    source = log_source or livepatch_source(connect_options)
    services = Services(graph, monitor, LogHub(list(agents), source))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        services.close()

    handlers = {HTTPException: _http_error}
    app = Starlette(routes=_routes(), lifespan=lifespan, exception_handlers=handlers)
    app.state.velocity_dashboard = services
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and methods: JSON under /api, like every other API answer.
    assert isinstance(exc, HTTPException)
    path = request.url.path.removeprefix(str(request.scope.get("root_path", "")))
    if path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return PlainTextResponse(exc.detail, status_code=exc.status_code)


def _routes() -> list[Route | Mount]:
    return [
        Route("/", _pages.home, name="home"),
        Route("/graph", _pages.graph_page, name="graph_page"),
        Route("/queue", _pages.queue_page, name="queue_page"),
        Route("/logs", _pages.logs_page, name="logs_page"),
        Route("/api/openapi.json", _api.openapi),
        Route("/api/graph", _api.graph),
        Route("/api/graph/why", _api.why),
        Route("/api/queues", _api.queues),
        Route("/api/queues/stream", _api.queues_stream),
        Route("/api/agents", _api.agents),
        Route("/api/agents/{agent:int}/logs", _api.agent_logs),
        Route("/api/agents/{agent:int}/stream", _api.agent_stream),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
