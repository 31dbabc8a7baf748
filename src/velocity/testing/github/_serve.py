"""Run an ASGI app under uvicorn in a background thread on a free loopback port."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.types import ASGIApp

from velocity.testing._ports import LOOPBACK
from velocity.testing._ports import free_port

__all__ = ["ThreadedServer"]


class ThreadedServer:
    """uvicorn in a daemon thread; ``start`` returns once the socket is listening."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> int:
        # A free port can be taken between probing and binding; try a few.
        for _ in range(5):
            if self._try_start(free_port(), timeout):
                return self.port
        raise RuntimeError("could not start the GitHub double on a loopback port")

    def _try_start(self, port: int, timeout: float) -> bool:
        config = uvicorn.Config(
            self.app,
            host=LOOPBACK,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"github-double:{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not server.started:
            server.should_exit = True
            thread.join(timeout)
            return False
        self._server, self._thread, self.port = server, thread, port
        return True

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        self._server = self._thread = None
