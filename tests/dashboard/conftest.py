from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest

from velocity.dashboard._bundle import bundle
from velocity.testing.browser import chromium
from velocity.testing.browser import serve_asgi


@pytest.fixture(scope="session", autouse=True)
def vendored() -> None:
    # The graph page needs cytoscape from npm; bundling is a no-op once done.
    bundle()


@pytest.fixture(scope="module")
def browser():
    # Per module, not per session: while Playwright's sync API is open an event loop runs
    # in this thread, and later tests (the GitHub App's) call asyncio.run().
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, serve, tmp_path: Path):
    # After serve, so the page (and its event streams) closes before the server stops.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, errors


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    stack: list = []

    def start(app) -> str:
        ctx = serve_asgi(app)
        url = ctx.__enter__()
        stack.append((app, ctx))
        return url

    yield start
    for app, ctx in reversed(stack):
        app.state.velocity_dashboard.close()
        ctx.__exit__(None, None, None)


@pytest.fixture
def shot(page, tmp_path: Path) -> Callable[[str], Path]:
    def take(name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
