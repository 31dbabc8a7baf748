"""``livepatch watch SRC TARGET``: sync SRC, then every settled batch of edits, until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from typing import Any

import click

from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.commands._options import connect_options
from velocity.livepatch.commands._options import to_connect_options

if TYPE_CHECKING:
    from velocity.livepatch.client._sync import SyncResult
    from velocity.livepatch.watch import Watcher

__all__ = ["describe", "watch", "watch_command"]


@click.command(name="watch")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("target")
@click.option(
    "--quiet-ms",
    default=8.0,
    show_default=True,
    type=click.FloatRange(min=0, max=10_000),
    help="Milliseconds without file events that end a batch (a burst waits longer).",
)
@connect_options
def watch_command(src: Path, target: str, quiet_ms: float, **kwargs: Any) -> int:
    """Sync SRC to TARGET, then every batch of edits as one atomic patch, until Ctrl-C.

    Honours the same ignore files as sync.
    """
    return watch(src, target, to_connect_options(kwargs), Path(kwargs["state_dir"]), quiet_ms)


def watch(
    src: Path, target_url: str, options: ConnectOptions, state_dir: Path, quiet_ms: float
) -> int:
    """Watch *src* and keep *target_url* equal to it; returns the exit code (0 on Ctrl-C).

    .. versionadded:: 0.2
    """
    from velocity.livepatch.client._sync import Syncer
    from velocity.livepatch.client._targets import parse_target
    from velocity.livepatch.watch import Watcher

    target = parse_target(target_url)
    with Syncer(src, target, options, state_dir) as syncer:
        watcher = Watcher(syncer, _print, quiet=quiet_ms / 1000)
        with watcher:
            watcher.start()
            click.echo(f"watching {src} -> {target.url} (Ctrl-C stops)", err=True)
            previous = _stop_on_sigterm(watcher)
            try:
                watcher.run()
            except KeyboardInterrupt:
                pass
            finally:
                if previous is not None:
                    signal.signal(signal.SIGTERM, previous)
    click.echo("stopped", err=True)
    return 0


def _stop_on_sigterm(watcher: Watcher) -> signal.Handlers | None:
    # A supervisor's SIGTERM ends the watch like Ctrl-C does: after the batch in flight.
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        watcher.stop()

    previous = signal.signal(signal.SIGTERM, handler)
    return previous if isinstance(previous, signal.Handlers) else signal.SIG_DFL


def _print(result: SyncResult) -> None:
    click.echo(describe(result))


def describe(result: SyncResult) -> str:
    """One line for an applied batch: files, bytes, milliseconds, and the reload outcome.

    .. versionadded:: 0.2
    """
    line = (
        f"applied {result.changed} file{'s' if result.changed != 1 else ''}, "
        f"{result.bytes_sent} bytes, {result.seconds * 1000:.0f} ms"
    )
    outcome = result.reload  # set when a supervising agent reloaded the app
    if outcome is not None:
        state = "ok" if outcome.ok else "FAILED"
        line += f"; reload {outcome.strategy} {state} in {outcome.seconds * 1000:.0f} ms"
        if outcome.detail:
            line += f" ({outcome.detail})"
    if result.rollback is not None and result.rollback.rolled_back:
        line += f"; ROLLED BACK ({result.rollback.reason})"
    return line
