"""Moving between the views, and what each says when it has nothing to show."""

from __future__ import annotations

from pathlib import Path

from dashboard_support import make_repo

from velocity.dashboard import create_app


def test_nav_and_empty_states(page, serve, tmp_path: Path):
    repo = make_repo(tmp_path / "repo", modules=3, tests=1)
    url = serve(create_app(repo=repo))
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready=graph]")
    assert page.url == url + "/graph"
    assert page.inner_text("#stat-changed") == "0"

    page.click("nav a:has-text('Merge queue')")
    page.wait_for_selector("#queue-status:has-text('No merge queue')")
    assert page.locator("section.queue").count() == 0

    page.click("nav a:has-text('Live logs')")
    page.wait_for_selector("#logs-status:has-text('No agent configured')")
    assert page.locator("nav a.on").inner_text() == "Live logs"


def test_a_dashboard_with_nothing_configured_says_so(page, serve):
    url = serve(create_app())
    page.goto(url + "/graph")
    page.wait_for_selector("#graph-error")
    assert page.inner_text("#graph-error") == "this dashboard has no repository configured"
    page.goto(url + "/queue")
    page.wait_for_selector("#queue-status:has-text('no queue store configured')")
