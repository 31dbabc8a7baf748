"""A real Chromium for browser tests, and an ASGI app served on a free loopback port.

Debian's ``chromium`` package is driven through the Python ``playwright`` package (a
test dependency, imported on use); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from typing import Any

from velocity.testing._binaries import require_binary
from velocity.testing._ports import LOOPBACK
from velocity.testing._ports import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["CHROMIUM_ARGS", "chromium", "find_chromium", "serve_asgi"]

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
"""Headless, offline, no first-run or update traffic: what every test launch passes.

.. versionadded:: 0.3
"""


def find_chromium() -> str:
    """The Chromium executable (Debian installs ``/usr/bin/chromium``).

    :raises MissingBinaryError: it is not installed; the message names the package.

    .. versionadded:: 0.3
    """
    return require_binary("chromium", "chromium")


@contextmanager
def chromium(*, timeout: float = 30.0) -> Iterator[Browser]:
    """A headless Chromium through Playwright, closed on exit.

    :param timeout: seconds to wait for the browser to start.

    .. versionadded:: 0.3
    """
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), timeout=timeout * 1000
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serve_asgi(app: Any, *, startup_timeout: float = 15.0) -> Iterator[str]:
    """Serve *app* with uvicorn in a thread on ``127.0.0.1`` and a free port; yields its URL.

    .. versionadded:: 0.3
    """
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host=LOOPBACK, port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="serve-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on {LOOPBACK}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
