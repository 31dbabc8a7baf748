"""``/healthz``, ``/queue/{owner}/{repo}`` (JSON or HTML) and ``/metrics``: read-only views."""

from __future__ import annotations

import html
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.responses import Response

from velocity.quantum import QueueState
from velocity.quantum import StoreError
from velocity_github_app.runner import Runner

__all__ = ["health", "metrics_view", "prefers_html", "queue_json", "queue_view"]


async def health(request: Request) -> Response:
    runner: Runner = request.app.state.runner
    return JSONResponse({"status": "ok", "pending": runner.pending()})


async def metrics_view(request: Request) -> Response:
    runner: Runner = request.app.state.runner
    text = await run_in_threadpool(runner.metrics.render)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")


def prefers_html(accept: str) -> bool:
    """Whether an ``Accept`` header ranks ``text/html`` above ``application/json``.

    .. versionadded:: 0.1
    """
    ranks: dict[str, float] = {}
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranks[kind.lower()] = max(q, ranks.get(kind.lower(), 0.0))

    def rank(kind: str) -> float:
        major = kind.split("/")[0] + "/*"
        return ranks.get(kind, ranks.get(major, ranks.get("*/*", 0.0)))

    return rank("text/html") > rank("application/json")


def queue_json(repo: str, state: QueueState, spec_prefix: str) -> dict[str, Any]:
    """The JSON document ``GET /queue/{owner}/{repo}`` answers with.

    .. versionadded:: 0.1
    """
    return {
        "repo": repo,
        "base_sha": state.base_sha,
        "landed": [{"pr": pr, "head_sha": sha} for pr, sha in state.landed],
        "queue": [
            {"position": i + 1, "pr": e.pr, "head_sha": e.head_sha, "priority": e.priority}
            for i, e in enumerate(state.queue)
        ],
        "builds": [
            {
                "build_id": b.build_id,
                "branch": spec_prefix + b.build_id,
                "status": b.status,
                "prs": [pr for pr, _ in b.prs],
            }
            for b in state.builds
        ],
        "finished": [{"pr": pr, "state": final} for pr, final in state.finished[-50:]],
    }


def _html(doc: dict[str, Any]) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><td>{e['position']}</td><td>#{e['pr']}</td><td><code>{esc(e['head_sha'][:12])}"
        f"</code></td><td>{e['priority']}</td></tr>"
        for e in doc["queue"]
    )
    builds = "".join(
        f"<li><code>{esc(b['branch'])}</code> {esc(b['status'])}: "
        + " + ".join(f"#{pr}" for pr in b["prs"])
        + "</li>"
        for b in doc["builds"]
    )
    title = esc(f"Merge queue of {doc['repo']}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>base <code>{esc(doc['base_sha'][:12])}</code></p>"
        "<table><tr><th>position</th><th>pull request</th><th>head</th><th>priority</th></tr>"
        f"{rows}</table><h2>Speculative builds</h2><ul>{builds}</ul></body></html>"
    )


async def queue_view(request: Request) -> Response:
    runner: Runner = request.app.state.runner
    owner, name = request.path_params["owner"], request.path_params["repo"]
    if (owner, name) not in await run_in_threadpool(runner.known_repos):
        return JSONResponse({"error": "unknown repository"}, status_code=404)
    try:
        state = await run_in_threadpool(lambda: runner.stores.queue(owner, name).load())
    except StoreError:
        return JSONResponse({"error": "no queue yet"}, status_code=404)
    doc = queue_json(f"{owner}/{name}", state, runner.config.spec_prefix)
    if prefers_html(request.headers.get("accept", "")):
        return HTMLResponse(_html(doc))
    return JSONResponse(doc)
