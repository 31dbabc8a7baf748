"""The ``livepatch`` command line: push local changes into a running target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from velocity.core.cli import json_option
from velocity.core.cli import run
from velocity.core.cli import version_option
from velocity.livepatch.commands._options import connect_options
from velocity.livepatch.commands._options import to_connect_options
from velocity.livepatch.commands.watch import watch_command

__all__ = ["cli", "main"]


@click.group(name="livepatch")
@version_option("livepatch")
def cli() -> None:
    """Push local changes into a running process: fast, atomic, confined."""


@cli.command(name="sync")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("target")
@connect_options
@json_option
def sync_command(src: Path, target: str, as_json: bool, **kwargs: Any) -> int:
    """Sync SRC to TARGET (local:///path, ssh://user@host:port/path, agent://host:port,
    docker://container/path), honouring .gitignore, .dockerignore and .livepatchignore."""
    from velocity.livepatch.commands.sync import sync

    return sync(src, target, to_connect_options(kwargs), Path(kwargs["state_dir"]), as_json)


@cli.command(name="status")
@click.argument("target")
@click.option(
    "--src",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also count local changes not sent yet.",
)
@connect_options
@json_option
def status_command(target: str, src: Path | None, as_json: bool, **kwargs: Any) -> int:
    """Show whether TARGET is reachable and still holds what was last sent."""
    from velocity.livepatch.commands.status import status

    return status(target, to_connect_options(kwargs), Path(kwargs["state_dir"]), src, as_json)


@cli.command(name="rollback")
@click.argument("target")
@connect_options
@json_option
def rollback_command(target: str, as_json: bool, **kwargs: Any) -> int:
    """Undo the last batch applied to TARGET (exactly its files), then reload the app."""
    from velocity.livepatch.commands.rollback import rollback

    return rollback(target, to_connect_options(kwargs), as_json)


@cli.command(name="logs")
@click.argument("target")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new output and events.")
@click.option("--lines", "-n", default=200, show_default=True, help="History first (0: all kept).")
@connect_options
@json_option
def logs_command(target: str, follow: bool, lines: int, as_json: bool, **kwargs: Any) -> int:
    """Print the supervised app's output and the agent's events (applied, reloaded, ...)."""
    from velocity.livepatch.commands.logs import logs

    return logs(target, to_connect_options(kwargs), follow=follow, lines=lines, as_json=as_json)


_CERTS_DIR = click.option(
    "--dir",
    "directory",
    default=".velocity/livepatch/certs",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the project CA lives.",
)


@cli.group(name="certs")
def certs_group() -> None:
    """Certificates for agent:// targets (mutual TLS)."""


@certs_group.command(name="init")
@_CERTS_DIR
def certs_init_command(directory: Path) -> int:
    """Create the project CA."""
    from velocity.livepatch.commands.certs_init import certs_init

    return certs_init(directory)


@certs_group.command(name="issue")
@click.argument("kind", type=click.Choice(["agent", "client"]))
@click.argument("name")
@_CERTS_DIR
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Agent: output dir.")
@click.option("--host", "hosts", multiple=True, help="Agent: another DNS name or IP it serves on.")
@click.option("--allow", multiple=True, help="Agent: a client name to put on its allowlist.")
@click.option("--hours", default=12.0, show_default=True, help="Client: hours of validity.")
def certs_issue_command(
    kind: str,
    name: str,
    directory: Path,
    out: Path | None,
    hosts: tuple[str, ...],
    allow: tuple[str, ...],
    hours: float,
) -> int:
    """Issue a certificate: an agent's --tls-dir, or this machine's client identity."""
    from velocity.livepatch.commands.certs_issue import certs_issue

    return certs_issue(directory, kind, name, out=out, hosts=hosts, allow=allow, hours=hours)


cli.add_command(watch_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``livepatch``; returns the exit code."""
    return run(cli, argv, "livepatch")
