from __future__ import annotations

import httpx
from app_support import LABEL
from app_support import OWNER
from app_support import REPO
from app_support import open_pr
from velocity_github_app.views import prefers_html


def test_queue_view_json_and_html(double, serve):
    app = serve()
    one = open_pr(double, "v1", {"v1.txt": "1\n"})
    double.label(OWNER, REPO, one, LABEL)
    app.settle()
    doc = httpx.get(f"{app.url}/queue/{OWNER}/{REPO}").json()
    assert doc["repo"] == f"{OWNER}/{REPO}"
    assert [(e["position"], e["pr"]) for e in doc["queue"]] == [(1, one)]
    assert doc["builds"] == [
        {"build_id": "b1", "branch": "quantum/spec/b1", "status": "running", "prs": [one]}
    ]
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = httpx.get(f"{app.url}/queue/{OWNER}/{REPO}", headers={"Accept": browser})
    assert page.headers["content-type"].startswith("text/html")
    assert f"<td>#{one}</td>" in page.text
    assert "quantum/spec/b1" in page.text
    metrics = httpx.get(f"{app.url}/metrics").text
    assert f'velocity_github_app_queue_length{{repo="{OWNER}/{REPO}"}} 1' in metrics
    assert httpx.get(f"{app.url}/healthz").json()["status"] == "ok"


def test_prefers_html():
    assert prefers_html("text/html")
    assert prefers_html("text/html,*/*;q=0.8")
    assert not prefers_html("")
    assert not prefers_html("*/*")
    assert not prefers_html("application/json")
    assert not prefers_html("application/json, text/html;q=0.5")
    assert not prefers_html("text/html;q=bogus")
    assert prefers_html("text/*")
