"""What the app's command line says: gunicorn or uvicorn, and where it listens."""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Listen", "children", "is_gunicorn", "listen_from_argv"]


@dataclass(frozen=True)
class Listen:
    host: str
    port: int


def is_gunicorn(argv: Sequence[str]) -> bool:
    """``gunicorn ...``, ``python -m gunicorn ...`` (a gunicorn master handles SIGHUP)."""
    if any(Path(arg).name == "gunicorn" for arg in argv[:1]):
        return True
    return any(a == "-m" and b == "gunicorn" for a, b in itertools.pairwise(argv))


def _option(argv: Sequence[str], *names: str) -> str | None:
    found = None
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                found = argv[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                found = arg.split("=", 1)[1]
            elif not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                found = arg[len(name) :]
    return found


def listen_from_argv(argv: Sequence[str]) -> Listen:
    """The address from ``--bind``/``-b`` (gunicorn) or ``--host``/``--port`` (uvicorn)."""
    if is_gunicorn(argv):
        bind = _option(argv, "--bind", "-b") or "127.0.0.1:8000"
        host, _, port = bind.rpartition(":")
        return Listen(_connectable(host or "127.0.0.1"), int(port))
    host = _option(argv, "--host") or "127.0.0.1"
    return Listen(_connectable(host), int(_option(argv, "--port") or 8000))


def _connectable(host: str) -> str:
    # A wildcard bind is reached through loopback.
    return "127.0.0.1" if host in ("0.0.0.0", "", "*") else host.strip("[]")  # noqa: S104


def children(pid: int) -> set[int]:
    """Process ids whose parent is *pid* (gunicorn's workers), read from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue  # exited while we looked
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.add(int(entry))
    return found
