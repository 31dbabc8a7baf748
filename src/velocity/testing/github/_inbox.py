"""A loopback webhook receiver that records deliveries verbatim (headers and exact body)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from velocity.testing.github._serve import ThreadedServer

__all__ = ["Received", "WebhookInbox"]


@dataclass(frozen=True)
class Received:
    """One request the inbox got.

    .. versionadded:: 0.1
    """

    headers: dict[str, str]
    body: bytes


class WebhookInbox:
    """Serve ``POST /webhook`` on loopback and keep every delivery for assertions.

    :param status_code: what the inbox answers each delivery with.

    .. versionadded:: 0.1
    """

    def __init__(self, status_code: int = 202) -> None:
        self.status_code = status_code
        self.received: list[Received] = []
        self._lock = threading.Lock()
        app = Starlette(routes=[Route("/webhook", self._receive, methods=["POST"])])
        self._server = ThreadedServer(app)

    async def _receive(self, request: Request) -> Response:
        item = Received(dict(request.headers), await request.body())
        with self._lock:
            self.received.append(item)
        return Response(status_code=self.status_code)

    @property
    def url(self) -> str:
        """The URL to register as the webhook."""
        return f"http://127.0.0.1:{self._server.port}/webhook"

    def start(self) -> WebhookInbox:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> WebhookInbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
