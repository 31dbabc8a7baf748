"""Free loopback ports, and a one-line probe to see whether a server there answers."""

from __future__ import annotations

import socket

__all__ = ["LOOPBACK", "free_port", "probe"]

#: The only address the test servers listen on.
LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that was free on *host* a moment ago.

    Another process may take it before the caller binds it; the servers in
    :mod:`velocity.testing` handle that race by retrying on a new port.

    :param host: the address to bind, loopback by default.

    .. versionadded:: 0.1
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# The first line a server sends back after *send*, or b"" when nothing answers.
def probe(host: str, port: int, send: bytes = b"", *, timeout: float = 0.5) -> bytes:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if send:
                sock.sendall(send)
            return _read_line(sock)
    except OSError:
        return b""


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < 4096:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].rstrip(b"\r")
