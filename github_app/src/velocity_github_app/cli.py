"""``velocity-github-app``: serve the app with uvicorn, configured by velocity.core.config."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import uvicorn
from githubkit import AppAuthStrategy
from githubkit import GitHub

from velocity.core.cli import run
from velocity.core.config import GitHubSettings
from velocity.core.config import Settings
from velocity.core.config import load_settings
from velocity.core.errors import VelocityError
from velocity.core.log import configure
from velocity_github_app.app import create_app
from velocity_github_app.config import AppConfig
from velocity_github_app.forge import ClientFactory
from velocity_github_app.stores import open_stores

__all__ = ["app_client_factory", "cli", "main", "serve"]


def app_client_factory(settings: GitHubSettings) -> ClientFactory:
    """A factory of githubkit clients authenticated as the App that *settings* name.

    :raises VelocityError: ``github.app_id`` or ``github.private_key`` is not set.

    .. versionadded:: 0.1
    """
    if settings.app_id is None or settings.private_key is None:
        raise VelocityError("github.app_id and github.private_key must be set")
    app_id, key = settings.app_id, settings.private_key.get_secret_value()
    base_url = settings.api_url.rstrip("/") + "/"

    def factory() -> GitHub[Any]:
        return GitHub(AppAuthStrategy(app_id=app_id, private_key=key), base_url=base_url)

    return factory


@click.command(name="velocity-github-app")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="velocity.yaml")
@click.option("--label", default=AppConfig.label, show_default=True, help="The queue label.")
@click.option("--reconcile-interval", default=AppConfig.reconcile_interval, type=float)
@click.option(
    "--dashboard/--no-dashboard",
    default=False,
    show_default=True,
    help="Serve the queue dashboard under /dashboard (no auth of its own: use behind a proxy).",
)
@click.version_option(package_name="velocity-github-app", prog_name="velocity-github-app")
def cli(
    host: str,
    port: int,
    config_file: Path | None,
    label: str,
    reconcile_interval: float,
    dashboard: bool,
) -> int:
    """Quantum Merge as a GitHub App: serve its webhook and views."""
    settings = load_settings(config_file=config_file)
    configure(level=settings.log.level, fmt=settings.log.format)
    serve(
        settings,
        host=host,
        port=port,
        config=AppConfig(label=label, reconcile_interval=reconcile_interval, dashboard=dashboard),
    )
    return 0


def serve(settings: Settings, *, host: str, port: int, config: AppConfig | None = None) -> None:
    """Serve the app configured by *settings* with uvicorn until interrupted.

    For ``quantum serve`` and this package's console script.

    :raises VelocityError: the webhook secret or the App credentials are missing.

    .. versionadded:: 0.1
    """
    if settings.github.webhook_secret is None:
        raise VelocityError("github.webhook_secret must be set (deliveries are verified)")
    app = create_app(
        settings,
        stores=open_stores(settings.quantum),
        github_client_factory=app_client_factory(settings.github),
        config=config,
    )
    # log_config=None: uvicorn's loggers go through velocity.core.log's scrubbing handler.
    uvicorn.run(app, host=host, port=port, log_config=None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``velocity-github-app``; returns the exit code.

    .. versionadded:: 0.1
    """
    return run(cli, argv, "velocity-github-app")
