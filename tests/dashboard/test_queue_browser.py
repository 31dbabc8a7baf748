"""The merge queue page in a real Chromium, over a real SQLite store and a real redis-server."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from dashboard_support import write_as_older_velocity

from velocity.dashboard import create_app
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Enqueue
from velocity.quantum.model import Event
from velocity.quantum.scheduler import step
from velocity.quantum.store import open_store
from velocity.quantum.store.redis import RedisStore
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy

SPECULATIVE = make_strategy("speculative", StrategyOptions(depth=3))


def head(pr: int) -> str:
    return hashlib.sha256(str(pr).encode()).hexdigest()[:40]


def apply(store, *events: Event) -> None:
    for event in events:
        store.transition(lambda s, e=event: step(SPECULATIVE, s, e))


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request, tmp_path: Path) -> str:
    if request.param == "redis":
        return request.getfixturevalue("redis_server").url
    return str(tmp_path / "quantum.db")


def rows(page, selector: str, *attrs: str) -> list[tuple[str, ...]]:
    found = page.locator(selector)
    return [tuple(found.nth(i).get_attribute(a) or "" for a in attrs) for i in range(found.count())]


def test_queue_page_follows_the_queue_live(page, serve, shot, store_url: str):
    store = (
        RedisStore(store_url) if store_url.startswith("redis") else open_store("sqlite", store_url)
    )
    store.init("a" * 40)
    apply(store, *(Enqueue(pr, head(pr)) for pr in (11, 12, 13, 14)))
    url = serve(create_app(store=store_url, poll_interval=0.1))

    page.goto(url + "/queue")
    page.wait_for_selector("tr.pr-row")
    # Depth 3: builds of #11, #11+#12, #11+#12+#13 run; #14 waits.
    assert rows(page, "tr.pr-row", "data-pr", "data-state") == [
        ("11", "running"),
        ("12", "running"),
        ("13", "running"),
        ("14", "waiting"),
    ]
    tree = page.locator(".tree li[data-pr]")
    assert tree.count() == 3
    assert page.locator(".tree li[data-pr='11'] > .tree li[data-pr='12'] .build").count() == 2
    shot("queue-running")

    # b1 passes (#11 merges), b2 fails (#12 is ejected), #14 is taken out: the page follows.
    apply(store, BuildFinished("b1", "pass"), BuildFinished("b2", "fail"), Dequeue(14))
    page.wait_for_selector("tr.final-row[data-pr='14']")
    assert rows(page, "tr.final-row", "data-pr", "data-final") == [
        ("14", "dequeued"),
        ("12", "ejected"),
        ("11", "merged"),
    ]
    assert page.locator("tr.final-row td.reason").all_inner_texts() == [
        "removed from the merge queue",
        "build b2 of base + #12 failed",
        "build b1 of base + #11 passed",
    ]
    assert [r[0] for r in rows(page, "tr.pr-row", "data-pr")] == ["13"]
    shot("queue-history")
    store.close()


def test_reasons_of_what_finished_before_the_dashboard_started(page, serve, shot, store_url):
    store = open_store("redis" if store_url.startswith("redis") else "sqlite", store_url)
    store.init("c" * 40)
    apply(store, *(Enqueue(pr, head(pr)) for pr in (21, 22, 23, 24)))
    apply(store, BuildFinished("b1", "pass"), BuildFinished("b2", "fail"))
    apply(store, Conflicted(23, ("app.py", "setup.cfg")), Dequeue(24))
    store.close()
    write_as_older_velocity(store_url, 20, "merged")
    url = serve(create_app(store=store_url, poll_interval=0.1))

    page.goto(url + "/queue")
    page.wait_for_selector("tr.final-row")
    assert rows(page, "tr.final-row", "data-pr", "data-final", "data-recorded") == [
        ("20", "merged", "no"),
        ("24", "dequeued", "yes"),
        ("23", "ejected", "yes"),
        ("22", "ejected", "yes"),
        ("21", "merged", "yes"),
    ]
    assert page.locator("tr.final-row td.reason").all_inner_texts() == [
        "not recorded",
        "removed from the merge queue",
        "merge conflict in app.py, setup.cfg",
        "build b2 of base + #22 failed",
        "build b1 of base + #21 passed",
    ]
    assert page.locator("tr.final-row[data-pr='21'] .sha").get_attribute("title") == head(21)
    shot("queue-history-before-start")


def test_queue_page_names_a_dead_redis(page, serve, redis_server):
    store = RedisStore(redis_server.url)
    store.init("b" * 40)
    apply(store, Enqueue(7, "7" * 40))
    store.close()
    url = serve(create_app(store=redis_server.url, poll_interval=0.1))
    page.goto(url + "/queue")
    page.wait_for_selector("tr.pr-row[data-pr='7']")
    redis_server.stop()
    page.wait_for_selector(".queue .error")
    assert "Error" in page.inner_text(".queue .error")
