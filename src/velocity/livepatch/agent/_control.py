"""How a stdio agent finds the supervisor of its root: a unix socket in the state dir.

``livepatch-agent stdio`` is spawned afresh for every ssh://, docker:// or local://
connection, while ``livepatch-agent run`` supervises the app for as long as it lives.
The supervisor listens on ``.livepatch-agent/supervisor/agent.sock`` below the root
(directory 0700, socket 0600: only the agent's own user may connect), and serves there
exactly what it serves over stdio, one connection per client. A stdio agent that can
connect becomes a byte relay between its stdin/stdout and that socket, so every batch,
reload, rollback and log stream goes through the one process that owns the app; one
that cannot serves the root itself and reports that nothing was reloaded.

Socket paths are limited to about 100 bytes; the socket is reached through
``/proc/self/fd/N/agent.sock`` of the held directory, whatever the root's length.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Callable

from velocity.livepatch.agent._paths import STATE_DIR
from velocity.livepatch.agent._paths import open_dir
from velocity.livepatch.agent._service import Service
from velocity.livepatch.agent._stdio import serve_stdio

__all__ = ["ControlServer", "SupervisorRunning", "connect_supervisor", "relay"]

_DIR = "supervisor"
_SOCKET = "agent.sock"
_CHUNK = 1 << 20


class SupervisorRunning(Exception):
    """Another ``livepatch-agent run`` already supervises this root."""


def _address(dir_fd: int) -> str:
    return f"/proc/self/fd/{dir_fd}/{_SOCKET}"


class ControlServer:
    """Serve *make_service()* to each client of the root's supervisor socket.

    :raises SupervisorRunning: a live supervisor already listens there.
    """

    def __init__(self, state_fd: int, make_service: Callable[[], Service]) -> None:
        self._make_service = make_service
        self._dir = open_dir(state_fd, (_DIR,), create=True)
        os.fchmod(self._dir, 0o700)
        probe = _connect(self._dir)
        if probe is not None:
            probe.close()
            os.close(self._dir)
            raise SupervisorRunning("a supervisor already runs for this root")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(_SOCKET, dir_fd=self._dir)  # left by one that was killed
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(_address(self._dir))
        os.chmod(_SOCKET, 0o600, dir_fd=self._dir)
        self._sock.listen(16)
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            os.unlink(_SOCKET, dir_fd=self._dir)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        os.close(self._dir)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        # A client that sends garbage or vanishes loses only its own connection.
        with (
            contextlib.suppress(Exception),
            conn,
            conn.makefile("rb") as reader,
            conn.makefile("wb") as writer,
        ):
            serve_stdio(self._make_service(), reader, writer)


def connect_supervisor(root: str) -> socket.socket | None:
    """A connection to the supervisor of *root*, or ``None`` when none runs."""
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        dir_fd = open_dir(root_fd, (STATE_DIR, _DIR))
    except (FileNotFoundError, ValueError):
        return None
    finally:
        os.close(root_fd)
    try:
        return _connect(dir_fd)
    finally:
        os.close(dir_fd)


def _connect(dir_fd: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(_address(dir_fd))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.ENOENT, errno.ECONNREFUSED):
            return None
        raise
    return sock


def relay(sock: socket.socket, stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Pump bytes stdin -> *sock* and *sock* -> stdout until the supervisor closes."""

    def upstream() -> None:
        with contextlib.suppress(OSError):
            while data := os.read(stdin_fd, _CHUNK):
                sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)  # the client is done: so is its connection

    threading.Thread(target=upstream, daemon=True).start()
    with sock, contextlib.suppress(OSError):
        while data := sock.recv(_CHUNK):
            view = memoryview(data)
            while view:
                view = view[os.write(stdout_fd, view) :]
