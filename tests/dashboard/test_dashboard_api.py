"""The JSON API: every route documented in openapi.json, every response matching its schema."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from dashboard_support import make_repo
from jsonschema import Draft202012Validator
from starlette.routing import Mount
from starlette.routing import Route

from velocity.dashboard import create_app
from velocity.dashboard._api import OPENAPI
from velocity.livepatch.client import LogEvent
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Enqueue
from velocity.quantum.scheduler import step
from velocity.quantum.store import open_store
from velocity.quantum.strategies import make_strategy
from velocity.testing.browser import serve_asgi

SPEC = json.loads(OPENAPI.read_text())


def check(response: httpx.Response, path: str) -> None:
    """*response* is documented for *path* and its body matches the documented schema."""
    documented = SPEC["paths"][path]["get"]["responses"]
    assert str(response.status_code) in documented, (path, response.status_code, response.text)
    content = documented[str(response.status_code)].get("content")
    if content is None:  # a redirect
        return
    media = response.headers["content-type"].split(";")[0]
    schema = content[media]["schema"]
    if media == "application/json":
        validate(response.json(), schema)


def validate(data, schema) -> None:
    Draft202012Validator({**schema, "components": SPEC["components"]}).validate(data)


@pytest.fixture
def http():
    # Real uvicorn and httpx: the way a browser or a script reaches the API.
    opened = []

    def client(app) -> httpx.Client:
        server = serve_asgi(app)
        url = server.__enter__()
        made = httpx.Client(base_url=url, timeout=30)
        opened.append((app, server, made))
        return made

    yield client
    for app, server, made in reversed(opened):
        made.close()
        if hasattr(app.state, "velocity_dashboard"):  # the App closes a mounted one itself
            app.state.velocity_dashboard.close()
        server.__exit__(None, None, None)


def feed(target: str, stop):
    yield LogEvent(1.0, "event", "started pid 1", "started")
    yield LogEvent(2.0, "stdout", "ready", None)


@pytest.fixture
def app(tmp_path: Path):
    repo = make_repo(tmp_path / "repo", modules=6, tests=2)
    (repo / "src/shop/mod3.py").write_text("from shop import mod2\nVALUE = 33\n")
    store = open_store("sqlite", str(tmp_path / "q.db"))
    store.init("c" * 40)
    strategy = make_strategy("speculative")
    for event in (Enqueue(1, "1" * 40), Enqueue(2, "2" * 40), BuildFinished("b1", "fail")):
        store.transition(lambda s, e=event: step(strategy, s, e))
    store.close()
    return create_app(
        repo=repo, store=str(tmp_path / "q.db"), agents=["agent://box:7000"], log_source=feed
    )


def test_every_route_is_documented_and_every_schema_is_valid(app):
    documented = set(SPEC["paths"])
    routed = {
        re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for route in app.routes
        if isinstance(route, Route)
    }
    assert routed == documented
    assert {r.path for r in app.routes if isinstance(r, Mount)} == {"/static"}
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for item in SPEC["paths"].values():
        assert item["get"]["summary"]
        for response in item["get"]["responses"].values():
            for media in response.get("content", {}).values():
                Draft202012Validator.check_schema(media["schema"])
    assert "://" not in json.dumps(SPEC).replace("https://json-schema.org/draft/2020-12/schema", "")


def test_every_json_response_matches_its_schema(app, http):
    client = http(app)
    check(client.get("/api/openapi.json"), "/api/openapi.json")
    graph = client.get("/api/graph")
    check(graph, "/api/graph")
    assert graph.json()["changed"] == ["src/shop/mod3.py"]
    why = client.get("/api/graph/why", params={"test": "tests/test_mod6.py"})
    check(why, "/api/graph/why")
    assert why.json()["reachable"] is True
    assert [hop["target"] for hop in why.json()["chain"]][-1] == "src/shop/mod3.py"
    queues = client.get("/api/queues")
    check(queues, "/api/queues")
    [queue] = queues.json()["queues"]
    assert [e["pr"] for e in queue["entries"]] == [2]
    assert [(h["pr"], h["final"]) for h in queue["history"]] == [(1, "ejected")]
    check(client.get("/api/agents"), "/api/agents")
    logs = client.get("/api/agents/0/logs")
    check(logs, "/api/agents/{agent}/logs")
    for path in ("/graph", "/queue", "/logs"):
        check(client.get(path), path)
    check(client.get("/", follow_redirects=False), "/")


def test_errors_are_json_never_tracebacks(app, http, monkeypatch):
    client = http(app)
    missing = client.get("/api/graph/why", params={"test": "nope.py"})
    check(missing, "/api/graph/why")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not in the graph: nope.py"}
    check(client.get("/api/graph/why"), "/api/graph/why")
    check(client.get("/api/agents/9/logs"), "/api/agents/{agent}/logs")
    bad = client.get("/api/agents/0/logs", params={"after": "x"})
    assert bad.status_code == 400
    check(bad, "/api/agents/{agent}/logs")

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    for path in ("/api/nope", "/api/agents/x/logs"):
        unknown = client.get(path)
        assert (unknown.status_code, unknown.json()) == (404, {"error": "Not Found"})
    wrong = client.post("/api/graph")
    assert (wrong.status_code, wrong.json()) == (405, {"error": "Method Not Allowed"})

    monkeypatch.setattr(app.state.velocity_dashboard, "graph_json", broken)
    failed = client.get("/api/graph")
    check(failed, "/api/graph")
    assert failed.json() == {"error": "internal error: RuntimeError"}


def test_a_dashboard_without_a_repository_or_store_says_so(http):
    client = http(create_app())
    for path in ("/api/graph", "/api/queues"):
        response = client.get(path)
        assert response.status_code == 404
        check(response, path)


def test_event_streams_send_documented_payloads(app, http):
    client = http(app)
    streams = [
        ("/api/queues/stream", "/api/queues/stream", "queues"),
        ("/api/agents/0/stream", "/api/agents/{agent}/stream", "line"),
    ]
    for url, path, wanted in streams:
        events = SPEC["paths"][path]["get"]["responses"]["200"]["x-events"]
        with client.stream("GET", url) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    validate(json.loads(line[6:]), events[name])
                    if name == wanted:
                        break


def test_mounted_in_the_github_app(tmp_path: Path, http):
    from velocity_github_app import AppConfig
    from velocity_github_app import Stores
    from velocity_github_app import create_app as create_github_app

    from velocity.core.config import Settings

    stores = Stores("sqlite", tmp_path / "state")
    store = open_store("sqlite", str(tmp_path / "state" / "acme--api.sqlite3"))
    store.init("d" * 40)
    store.close()
    quiet = create_github_app(
        Settings(), stores=stores, github_client_factory=None, run_in_background=False
    )
    assert http(quiet).get("/dashboard/queue").status_code == 404  # off unless asked for
    github = create_github_app(
        Settings(),
        stores=stores,
        github_client_factory=None,
        config=AppConfig(dashboard=True),
        run_in_background=False,
    )
    client = http(github)
    page = client.get("/dashboard/queue")
    assert page.status_code == 200
    assert '<base href="/dashboard/">' in page.text
    moved = client.get("/dashboard/", follow_redirects=False)
    assert moved.headers["location"] == "/dashboard/queue"
    assert client.get("/dashboard/static/vendor/cytoscape.min.js").status_code == 200
    assert [q["name"] for q in client.get("/dashboard/api/queues").json()["queues"]] == [
        "acme--api"
    ]
    # The App serves no repository of its own: the graph view says so, as JSON.
    graph = client.get("/dashboard/api/graph")
    assert graph.status_code >= 400
    assert "error" in graph.json()
    assert client.get("/healthz").status_code == 200
    stores.close()


def test_every_queue_of_a_store_is_listed(tmp_path: Path, http, redis_server):
    from velocity.quantum.store.redis import RedisStore

    state = tmp_path / "state"
    for name in ("acme--api", "acme--web"):
        store = open_store("sqlite", str(state / f"{name}.sqlite3"))
        store.init("d" * 40)
        store.close()
    (state / "github-app.sqlite3").write_bytes(b"")  # the App's ledger: not a queue
    for key in ("acme/api", "acme/web"):
        store = RedisStore(redis_server.url, prefix=f"velocity:quantum:{key}:")
        store.init("e" * 40)
        store.close()
    for location, names in (
        (str(state), ["acme--api", "acme--web"]),
        (redis_server.url, ["acme/api", "acme/web"]),
    ):
        response = http(create_app(store=location)).get("/api/queues")
        check(response, "/api/queues")
        assert [q["name"] for q in response.json()["queues"]] == names


def test_the_graph_page_explains_a_missing_bundle(app, http, monkeypatch):
    from velocity.dashboard import _pages

    monkeypatch.setattr(_pages, "is_bundled", lambda: False)
    response = http(app).get("/graph")
    check(response, "/graph")
    assert response.status_code == 503
    assert "bundle-dashboard.sh" in response.text or "_bundle" in response.text


def test_a_reconnection_does_not_repeat_lines():
    from velocity.dashboard._logs import LogHub

    calls = []

    def replaying(target: str, stop):
        calls.append(target)
        yield LogEvent(1.0, "stdout", "one")
        yield LogEvent(2.0, "stdout", "two")
        if len(calls) > 1:
            yield LogEvent(2.0, "stderr", "two, on stderr")
            yield LogEvent(3.0, "event", "started pid 2", "started")

    hub = LogHub(["agent://box:1"], replaying, retry=0.01)
    hub.ensure_started()
    for _ in range(500):
        if len(calls) > 2:
            break
        time.sleep(0.01)
    hub.stop()
    texts = [line.text for line in hub.lines(0)]
    assert texts == ["one", "two", "two, on stderr", "started pid 2"]
    assert [line.seq for line in hub.lines(0, after=2)] == [3, 4]
