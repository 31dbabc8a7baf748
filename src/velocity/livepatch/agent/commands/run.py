"""``livepatch-agent run -- CMD``: supervise the app and serve its root (e.g. as an entrypoint).

The agent starts CMD, streams its output, and after every batch reloads it, watches it
through the grace window and rolls the batch back if it fails. Clients reach it over
gRPC with mutual TLS (``--listen``) and, through ``livepatch-agent stdio`` (ssh://,
docker://, local://), over the root's supervisor socket (see :mod:`.._control`).
SIGTERM or SIGINT stops the app, then the agent.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from velocity.livepatch.agent._control import ControlServer
from velocity.livepatch.agent._control import SupervisorRunning
from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._logring import LogRing
from velocity.livepatch.agent._logring import Record
from velocity.livepatch.agent._service import Service
from velocity.livepatch.agent._signals import StopSignals
from velocity.livepatch.agent._supervisor import Supervisor
from velocity.livepatch.reloaders import Reloader
from velocity.livepatch.reloaders import ReloadError

__all__ = ["RunError", "RunOptions", "run"]

_FOLLOWERS = 16  # gRPC threads: each `logs -f` holds one


class RunError(Exception):
    """The agent cannot start (the app cannot be started, a supervisor already runs).

    .. versionadded:: 0.2
    """


@dataclass(frozen=True)
class RunOptions:
    """How ``livepatch-agent run`` supervises and serves.

    .. versionadded:: 0.2
    """

    reloader: Reloader
    grace: float = 1.0
    health_url: str | None = None
    listen: str | None = None
    tls_dir: Path | None = None
    allow: frozenset[str] = frozenset()


def run(root: str, argv: Sequence[str], options: RunOptions) -> int:
    """Supervise *argv* for *root* until SIGTERM or SIGINT; returns 0.

    :raises RunError: the app cannot start, or another supervisor runs for *root*.

    .. versionadded:: 0.2
    """
    with Engine(root) as engine:
        supervisor = Supervisor(
            argv,
            options.reloader,
            engine,
            LogRing(on_event=_print_event),
            grace=options.grace,
            health_url=options.health_url,
        )
        try:
            control = ControlServer(engine.state_fd, lambda: _service(engine, supervisor))
        except SupervisorRunning as exc:
            raise RunError(f"{exc} ({root})") from None
        try:
            # Installed only once the agent is about to start the app; restored after.
            with StopSignals() as stop:
                _serve(supervisor, engine, options, stop)
        finally:
            control.close()
    return 0


def _print_event(record: Record) -> None:
    # Container logs show the events next to the app's own output.
    print(f"livepatch-agent: {record.text}", file=sys.stderr, flush=True)


def _service(engine: Engine, supervisor: Supervisor) -> Service:
    # One per socket connection: no signature thread each (deltas compute on demand).
    return Service(engine, supervisor=supervisor, precompute=False)


def _serve(supervisor: Supervisor, engine: Engine, options: RunOptions, stop: StopSignals) -> None:
    try:
        supervisor.start()
    except ReloadError as exc:
        raise RunError(str(exc)) from None
    server = None
    try:
        if options.listen and options.tls_dir is not None:
            from velocity.livepatch.agent._grpc import start_server

            service = Service(engine, streaming=False, supervisor=supervisor)
            server, port = start_server(
                service, options.listen, options.tls_dir, set(options.allow), workers=_FOLLOWERS
            )
            host = options.listen.rsplit(":", 1)[0]
            print(f"listening on {host}:{port}", file=sys.stderr, flush=True)
        cmd = shlex.join(supervisor.argv)
        print(
            f"supervising pid {supervisor.pid} ({cmd}), reload {options.reloader.name}",
            file=sys.stderr,
            flush=True,
        )
        stop.wait()
    finally:
        if server is not None:
            server.stop(grace=1).wait()
        supervisor.stop()
