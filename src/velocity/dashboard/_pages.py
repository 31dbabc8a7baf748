"""The HTML shells: a nav bar and the mount points our small scripts fill from the API."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.responses import RedirectResponse
from starlette.responses import Response

from velocity.dashboard._bundle import VENDOR
from velocity.dashboard._bundle import is_bundled

__all__ = ["graph_page", "home", "logs_page", "queue_page"]

_VIEWS = (("graph", "Dependency graph"), ("queue", "Merge queue"), ("logs", "Live logs"))

_GRAPH_BODY = """
<aside class="side">
  <form id="search-form" autocomplete="off">
    <input id="search" type="search" placeholder="Find a file…" aria-label="Find a file">
    <label><input id="neighbourhood" type="checkbox"> only its neighbourhood</label>
  </form>
  <ul id="hits" class="list"></ul>
  <section><h2>Summary</h2><dl id="summary"></dl><p id="reasons" class="warn"></p></section>
  <section><h2>Changed</h2><ul id="changed-list" class="list"></ul></section>
  <section><h2>Selected tests</h2><ul id="tests-list" class="list"></ul></section>
  <section><h2>Why is this test selected?</h2><ol id="why" class="chain"></ol></section>
</aside>
<div class="main"><div id="graph" class="graph"></div>
<p class="legend"><span class="dot changed"></span>changed
<span class="dot affected"></span>affected <span class="dot test"></span>test
<span class="dot hit"></span>search hit
<button id="refresh" type="button">Rebuild graph</button></p></div>
"""

_QUEUE_BODY = """
<div class="main wide"><p id="queue-status" class="muted">Connecting…</p>
<div id="queues"></div></div>
"""

_LOGS_BODY = """
<div class="main wide"><p class="toolbar">
<span id="logs-status" class="muted">Loading agents…</span>
<label>Show <select id="logs-filter"><option value="all">output and events</option>
<option value="events">events only</option><option value="output">output only</option></select>
</label></p>
<div id="agents"></div></div>
"""

_MISSING_BUNDLE = """
<div class="main wide"><h2>The dashboard's graph library is not bundled</h2>
<p>This copy of Velocity was installed without <code>cytoscape.min.js</code> in
<code>{vendor}</code>. Run <code>python -m velocity.dashboard._bundle</code> (needs npm) or
install a built wheel. The queue and log views and the JSON API work without it.</p></div>
"""


def _base(request: Request) -> str:
    # Relative to wherever the app is mounted: root_path carries the mount prefix.
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def _page(request: Request, view: str, body: str, scripts: tuple[str, ...]) -> HTMLResponse:
    base = _base(request)
    nav = "".join(
        f'<a href="{name}" class="{"on" if name == view else ""}">{title}</a>'
        for name, title in _VIEWS
    )
    tags = "".join(f'<script src="static/{s}" defer></script>' for s in scripts)
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><base href="{escape(base)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Velocity · {dict(_VIEWS)[view]}</title>
<link rel="stylesheet" href="static/dashboard.css">{tags}</head>
<body data-view="{view}"><header><strong>Velocity</strong><nav>{nav}</nav>
<a class="api" href="api/openapi.json">API</a></header>
<div class="page">{body}</div></body></html>"""
    return HTMLResponse(html)


async def home(request: Request) -> Response:
    # Without a repository (e.g. mounted in the GitHub App) the queue is what there is to see.
    view = "graph" if request.app.state.velocity_dashboard.graph is not None else "queue"
    return RedirectResponse(_base(request) + view, status_code=307)


async def graph_page(request: Request) -> Response:
    if not is_bundled():
        response = _page(request, "graph", _MISSING_BUNDLE.format(vendor=escape(str(VENDOR))), ())
        response.status_code = 503
        return response
    return _page(
        request, "graph", _GRAPH_BODY, ("vendor/cytoscape.min.js", "common.js", "graph.js")
    )


async def queue_page(request: Request) -> Response:
    return _page(request, "queue", _QUEUE_BODY, ("common.js", "queue.js"))


async def logs_page(request: Request) -> Response:
    return _page(request, "logs", _LOGS_BODY, ("common.js", "logs.js"))
