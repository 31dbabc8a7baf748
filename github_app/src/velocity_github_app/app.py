"""``create_app``: the Starlette application, wired from settings, stores and a client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.routing import Mount
from starlette.routing import Route

from velocity.core.config import Settings
from velocity.dashboard import create_app as create_dashboard
from velocity_github_app.config import AppConfig
from velocity_github_app.forge import ClientFactory
from velocity_github_app.metrics import Metrics
from velocity_github_app.runner import Runner
from velocity_github_app.stores import Stores
from velocity_github_app.views import health
from velocity_github_app.views import metrics_view
from velocity_github_app.views import queue_view
from velocity_github_app.webhook import WebhookEndpoint

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    stores: Stores,
    github_client_factory: ClientFactory,
    config: AppConfig | None = None,
    run_in_background: bool = True,
) -> Starlette:
    """The GitHub App as an ASGI application.

    Routes: ``POST /webhook``, ``GET /healthz``, ``GET /queue/{owner}/{repo}``,
    ``GET /metrics``, and with ``config.dashboard`` the dashboard's queue view over the
    same stores under ``/dashboard`` (see :func:`velocity.dashboard.create_app`). The runner thread
    starts and stops with the application's lifespan; it is ``app.state.runner``.

    :param settings: ``github.webhook_secret`` verifies deliveries; ``quantum.depth``
        is the default speculation depth.
    :param stores: the queue stores and the ledger (see :func:`open_stores`).
    :param github_client_factory: makes a githubkit client authenticated as the App.
    :param config: labels, contexts, strategy; defaults otherwise.
    :param run_in_background: start the runner thread with the lifespan (``False``
        leaves hints queued, for tests of the handler alone).

    .. versionadded:: 0.1
    """
    config = config or AppConfig()
    metrics = Metrics()
    runner = Runner(stores, github_client_factory, config, metrics, settings.quantum.depth)
    secret = settings.github.webhook_secret
    webhook = WebhookEndpoint(
        None if secret is None else secret.get_secret_value(),
        stores.ledger,
        runner,
        config,
        metrics,
    )

    routes: list[BaseRoute] = [
        Route("/webhook", webhook, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/queue/{owner}/{repo}", queue_view, methods=["GET"]),
        Route("/metrics", metrics_view, methods=["GET"]),
    ]
    dashboard = create_dashboard(store=stores.location) if config.dashboard else None
    if dashboard is not None:
        routes.append(Mount("/dashboard", app=dashboard))
    app = Starlette(
        routes=routes,
        lifespan=_lifespan(runner, run_in_background, dashboard),
    )
    app.state.runner = runner
    return app


def _lifespan(
    runner: Runner, start: bool, dashboard: Starlette | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start:
            runner.start()
        try:
            yield
        finally:
            runner.stop()
            if dashboard is not None:
                # A mounted app gets no lifespan of its own: stop its pollers here.
                dashboard.state.velocity_dashboard.close()

    return lifespan
