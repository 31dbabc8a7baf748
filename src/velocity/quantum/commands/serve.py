"""``quantum serve``: run Quantum Merge as a GitHub App (the velocity-github-app package)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from velocity.core.config import load_settings
from velocity.core.errors import VelocityError
from velocity.core.log import configure

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read settings from this YAML file instead of velocity.yaml.",
)
@click.option("--label", default="quantum:merge", show_default=True, help="The queue label.")
@click.option(
    "--dashboard/--no-dashboard",
    default=False,
    show_default=True,
    help="Serve the queue dashboard under /dashboard (no auth of its own: use behind a proxy).",
)
def serve(host: str, port: int, config_file: Path | None, label: str, dashboard: bool) -> int:
    """Serve the GitHub App: webhooks in, speculative builds and merges out.

    Settings come from velocity.core.config: ``github.app_id``,
    ``github.private_key``, ``github.webhook_secret``, ``github.api_url`` and
    ``quantum.store`` (``sqlite`` by default, ``redis`` with ``quantum.redis_url``
    for several replicas).

    \f
    .. versionadded:: 0.1
    """
    try:
        from velocity_github_app.cli import serve as serve_app
        from velocity_github_app.config import AppConfig
    except ImportError as exc:
        raise VelocityError(
            "quantum serve needs the GitHub App package: pip install velocity-github-app"
            " (github_app/ in the Velocity repository)"
        ) from exc
    settings = load_settings(config_file=config_file)
    configure(level=settings.log.level, fmt=settings.log.format, stream=sys.stderr)
    serve_app(settings, host=host, port=port, config=AppConfig(label=label, dashboard=dashboard))
    return 0
