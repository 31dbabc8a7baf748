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


@cli.command(name="run", context_settings={"allow_interspersed_args": False}, no_args_is_help=True)
@_ROOT
@click.option(
    "--reload",
    "reload_spec",
    default="signal:HUP",
    show_default=True,
    help="After a batch: signal:NAME, restart, exec:CMD or none (or a plugin's strategy).",
)
@click.option(
    "--grace",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds the app must survive a reload (and pass --health-url within).",
)
@click.option("--health-url", help="Polled after a reload; no 2xx within --grace rolls back.")
@click.option("--listen", help="Also serve gRPC with mutual TLS on HOST:PORT (needs --tls-dir).")
@click.option(
    "--tls-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="ca.crt, agent.crt, agent.key and optionally allowed-clients.",
)
@click.option("--allow", multiple=True, help="A client certificate name to accept (repeatable).")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_command(
    root: str,
    reload_spec: str,
    grace: float,
    health_url: str | None,
    listen: str | None,
    tls_dir: Path | None,
    allow: tuple[str, ...],
    command: tuple[str, ...],
) -> int:
    """Start COMMAND (after --) and supervise it: reload after each batch, roll back a
    batch the app does not survive, keep its logs. Serves until SIGTERM."""
    from velocity.livepatch.agent.commands.run import RunError
    from velocity.livepatch.agent.commands.run import RunOptions
    from velocity.livepatch.agent.commands.run import run
    from velocity.livepatch.reloaders import make_reloader

    options = RunOptions(
        make_reloader(reload_spec),
        grace=grace,
        health_url=health_url,
        listen=listen,
        tls_dir=tls_dir,
        allow=frozenset(_checked_tls(listen, tls_dir, allow)),
    )
    try:
        return run(root, command, options)
    except RunError as exc:
        raise UsageError(str(exc)) from None


def _checked_tls(listen: str | None, tls_dir: Path | None, allow: tuple[str, ...]) -> set[str]:
    if listen is None:
        return set()
    if tls_dir is None:
        raise UsageError("--listen needs --tls-dir (see 'livepatch certs issue agent')")
    from velocity.livepatch.agent.commands.serve import ServeError
    from velocity.livepatch.agent.commands.serve import check_tls

    try:
        return check_tls(tls_dir, allow)
    except ServeError as exc:
        raise UsageError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``livepatch-agent``; returns the exit code."""
    return run(cli, argv, "livepatch-agent")
