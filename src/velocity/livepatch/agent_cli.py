"""The ``livepatch-agent`` command line: the target side of LivePatch.

Subcommands import their carrier lazily, so ``stdio`` never loads gRPC.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from velocity.core.cli import run
from velocity.core.cli import version_option
from velocity.core.errors import UsageError

__all__ = ["cli", "main"]

_ROOT = click.option(
    "--root",
    required=True,
    type=click.Path(exists=True, file_okay=False, resolve_path=True),
    help="The directory this agent owns; every path is confined to it.",
)


@click.group(name="livepatch-agent")
@version_option("livepatch-agent")
def cli() -> None:
    """Apply LivePatch batches to a directory, atomically and confined to it."""


@cli.command(name="stdio")
@_ROOT
def stdio_command(root: str) -> int:
    """Serve one client over stdin/stdout (used through SSH or docker exec -i)."""
    from velocity.livepatch.agent.commands.stdio import ProtocolError
    from velocity.livepatch.agent.commands.stdio import stdio

    try:
        return stdio(root)
    except ProtocolError as exc:
        raise UsageError(str(exc)) from None


@cli.command(name="serve")
@_ROOT
@click.option("--listen", required=True, help="HOST:PORT to listen on (port 0 picks a free one).")
@click.option(
    "--tls-dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="ca.crt, agent.crt, agent.key and optionally allowed-clients.",
)
@click.option("--allow", multiple=True, help="A client certificate name to accept (repeatable).")
def serve_command(root: str, listen: str, tls_dir: Path, allow: tuple[str, ...]) -> int:
    """Serve clients over gRPC with mutual TLS until SIGTERM."""
    from velocity.livepatch.agent.commands.serve import ServeError
    from velocity.livepatch.agent.commands.serve import serve

    try:
        return serve(root, listen, tls_dir, allow)
    except ServeError as exc:
        raise UsageError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``livepatch-agent``; returns the exit code."""
    return run(cli, argv, "livepatch-agent")
