"""``livepatch-agent serve``: a long-running agent reached over gRPC with mutual TLS."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._grpc import load_allowlist
from velocity.livepatch.agent._grpc import start_server
from velocity.livepatch.agent._service import Service
from velocity.livepatch.agent._signals import StopSignals

__all__ = ["ServeError", "check_tls", "serve"]


class ServeError(Exception):
    """The agent cannot start serving (no allowlist, missing certificates)."""


def check_tls(tls_dir: Path, allow: Sequence[str]) -> set[str]:
    """The allowed client names, once *tls_dir* is known to hold what serving needs.

    :raises ServeError: no client allowed, or a certificate file missing.

    .. versionadded:: 0.2
    """
    allowed = load_allowlist(tls_dir, allow)
    if not allowed:
        raise ServeError(
            f"no client is allowed: pass --allow NAME or fill {tls_dir}/allowed-clients"
        )
    missing = [n for n in ("ca.crt", "agent.crt", "agent.key") if not (tls_dir / n).is_file()]
    if missing:
        raise ServeError(
            f"{tls_dir} lacks {', '.join(missing)} (see 'livepatch certs issue agent')"
        )
    return allowed


def serve(root: str, listen: str, tls_dir: Path, allow: Sequence[str]) -> int:
    """Serve *root* on *listen* until SIGTERM or SIGINT; prints ``listening on HOST:PORT``.

    .. versionadded:: 0.1
    """
    allowed = check_tls(tls_dir, allow)
    with StopSignals() as stop, Engine(root) as engine:
        server, port = start_server(Service(engine, streaming=False), listen, tls_dir, allowed)
        host = listen.rsplit(":", 1)[0]
        print(f"listening on {host}:{port}", file=sys.stderr, flush=True)
        stop.wait()
        server.stop(grace=2).wait()
    return 0
