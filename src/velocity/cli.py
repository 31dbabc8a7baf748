"""The ``velocity`` tool: settings and logging shared by every subcommand.

The group loads :class:`~velocity.core.config.Settings` (its flags beat every
other source), configures logging to stderr and hands the settings to the
subcommand as ``ctx.obj``.  Data goes to stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from velocity.commands.config import config
from velocity.commands.dashboard import dashboard
from velocity.commands.hello import hello
from velocity.core.cli import run
from velocity.core.cli import version_option
from velocity.core.config import load_settings

__all__ = ["cli", "main"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("auto", "json", "console")


@click.group(name="velocity")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Read settings from this YAML file instead of velocity.yaml.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    metavar="LEVEL",
    help="Log threshold: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
)
@click.option("--log-format", type=click.Choice(LOG_FORMATS), help="Log shape on stderr.")
@version_option("velocity")
@click.pass_context
def cli(
    ctx: click.Context, config_file: Path | None, log_level: str | None, log_format: str | None
) -> None:
    """Velocity: dependency-aware CI, live patching and a speculative merge queue."""
    from velocity.core.log import configure

    flags: dict[str, Any] = {"log.level": log_level, "log.format": log_format}
    overrides = {key: value for key, value in flags.items() if value is not None}
    settings = load_settings(config_file=config_file, overrides=overrides)
    configure(level=settings.log.level, fmt=settings.log.format, stream=sys.stderr)
    ctx.obj = settings


cli.add_command(hello)
cli.add_command(config)
cli.add_command(dashboard)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``velocity``; returns the exit code.

    .. versionadded:: 0.1
    """
    return run(cli, argv, "velocity")
