"""One contract, every store backend."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import replace

import pytest

from velocity.quantum import _queue
from velocity.quantum.codec import state_to_json
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Enqueue
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.scheduler import step
from velocity.quantum.store import FinalRecord
from velocity.quantum.store import StoreError
from velocity.quantum.store import open_store
from velocity.quantum.store.sqlite import SQLiteStore
from velocity.quantum.strategies import SpeculativeStrategy
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy

SPEC = SpeculativeStrategy(depth=3, concurrency=3)


@pytest.fixture(params=["sqlite", "redis"])
def location(request, tmp_path):
    """(backend, location) of a fresh, empty store."""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "queue.db")
    server = request.getfixturevalue("redis_server")
    return "redis", server.url


@pytest.fixture
def store(location):
    store = open_store(*location)
    yield store
    store.close()


def apply(store, event):
    return store.transition(lambda state: step(SPEC, state, event))


def test_load_before_init_is_an_error(store):
    with pytest.raises(StoreError, match="no merge queue"):
        store.load()


def test_init_is_idempotent_and_transitions_persist(store, location):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    store.init("other")
    reopened = open_store(*location)
    try:
        state = reopened.load()
    finally:
        reopened.close()
    assert state.base_sha == "base"
    assert [e.pr for e in state.queue] == [1]
    assert state == store.load()


def test_started_builds_become_jobs_claimed_once_in_order(store):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    apply(store, Enqueue(2, "h2"))
    first = store.claim("w1")
    second = store.claim("w2")
    assert store.claim("w1") is None
    assert first.job.build_id == "b1"
    assert first.job.prs == ((1, "h1"),)
    assert second.job.build_id == "b2"
    assert second.job.base_sha == "base"
    assert second.job.prs == ((1, "h1"), (2, "h2"))


def test_cancelled_builds_are_not_claimed(store):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    apply(store, Enqueue(2, "h2"))
    claim = store.claim("w1")
    apply(store, Dequeue(1))  # voids b1 (claimed) and b2 (waiting)
    assert store.is_cancelled("b1")
    assert store.is_cancelled("b2")
    assert not store.is_cancelled("b3")
    assert store.claim("w1").job.prs == ((2, "h2"),)
    store.ack(claim)


def test_unacked_jobs_are_reclaimed_from_a_dead_worker(store):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    lost = store.claim("dead")
    assert store.reclaim("alive", min_idle_ms=60_000) == []
    [again] = store.reclaim("alive", min_idle_ms=0)
    assert again.job == lost.job
    assert (lost.attempts, again.attempts) == (1, 2)
    store.ack(again)
    assert store.reclaim("other", min_idle_ms=0) == []
    apply(store, BuildFinished("b1", "pass"))
    assert store.load().final_state(1) == "merged"


def test_a_failing_transition_changes_nothing(store):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    before = store.load()

    def boom(state):
        step(SPEC, state, Enqueue(2, "h2"))
        raise RuntimeError("crash mid-transition")

    with pytest.raises(RuntimeError):
        store.transition(boom)
    assert store.load() == before
    assert store.history() == []
    store.claim("w")
    assert store.claim("w") is None  # no job from the aborted transition


def test_concurrent_transitions_lose_nothing(store, location):
    store.init("base")

    def worker(offset):
        mine = open_store(*location)
        try:
            for pr in range(offset, offset + 10):
                apply(mine, Enqueue(pr, f"h{pr}"))
        finally:
            mine.close()

    threads = [threading.Thread(target=worker, args=(i * 100,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = store.load()
    assert len(state.queue) == 40
    assert state.next_seq == 40


def test_sqlite_refuses_another_schema_version(tmp_path):
    path = tmp_path / "q.db"
    SQLiteStore(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 999"):
        SQLiteStore(path)


def test_unknown_backend_is_a_store_error():
    with pytest.raises(StoreError, match="unknown store backend"):
        open_store("nope", "x")


def test_state_roundtrip_is_exact(store):
    store.init("base")
    for pr in (1, 2, 3):
        apply(store, Enqueue(pr, f"h{pr}", priority=pr % 2))
    apply(store, BuildFinished("b1", "fail"))
    state = store.load()
    assert isinstance(state, QueueState)
    assert state.finished
    assert state.builds


def test_a_stale_writer_recomputes_on_the_current_state(store, location):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    other = open_store(*location)
    try:
        other.load()
        apply(store, Enqueue(2, "h2"))  # `other` has not seen this one
        state, actions = apply(other, Enqueue(3, "h3"))
    finally:
        other.close()
    assert [e.pr for e in state.queue] == [1, 2, 3]
    assert [a.build_id for a in actions if isinstance(a, StartBuild)] == ["b3"]
    assert store.load() == state


def test_the_store_keeps_every_final_state_the_queue_state_keeps_the_last(store, monkeypatch):
    monkeypatch.setattr(_queue, "HISTORY", 3)
    store.init("base")
    for pr in range(1, 6):
        apply(store, Enqueue(pr, f"h{pr}"))
    for pr in range(1, 6):
        apply(store, Dequeue(pr))
    state = store.load()
    assert state.finished == ((3, "dequeued"), (4, "dequeued"), (5, "dequeued"))
    assert state.finished_total == 5
    assert [(r.pr, r.final) for r in store.history()] == [(pr, "dequeued") for pr in range(1, 6)]
    assert [(r.pr, r.final) for r in store.history(2)] == [(2, "dequeued")]
    assert store.history(9) == []


def test_a_fresh_reader_sees_exactly_what_the_writer_wrote(store, location):
    store.init("base")
    for pr in range(1, 7):
        apply(store, Enqueue(pr, f"h{pr}", priority=pr % 3))
    apply(store, BuildFinished("b1", "fail"))
    apply(store, BuildFinished("b2", "pass"))
    apply(store, Dequeue(4))
    apply(store, Enqueue(2, "h2-new"))
    # A driver may reorder the queue itself; the order must survive too.
    written, _ = store.transition(lambda s: (replace(s, queue=s.queue[::-1]), []))
    reader = open_store(*location)
    try:
        assert reader.load() == written
    finally:
        reader.close()


def test_redis_refuses_a_queue_stored_by_an_older_velocity(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.set("velocity:quantum:state", "{}")
    client.close()
    old = open_store("redis", redis_server.url)
    with pytest.raises(StoreError, match="older Velocity"):
        old.init("base")
    with pytest.raises(StoreError, match="older Velocity"):
        old.load()
    old.close()


def test_every_final_state_is_stored_with_its_reason_time_and_head(store):
    store.init("base")
    for pr in (1, 2, 3, 4, 5):
        apply(store, Enqueue(pr, f"h{pr}"))
    before = time.time()
    apply(store, BuildFinished("b1", "pass"))  # #1 lands
    apply(store, BuildFinished("b2", "fail"))  # #2 is ejected
    apply(store, Dequeue(3))
    apply(store, Conflicted(4, ("app.py", "docs/x.md")))
    for _ in range(3):  # #5 is alone: its build errors until it is ejected
        [build] = store.load().running()
        apply(store, BuildFinished(build.build_id, "error"))
    history = store.history()
    assert [(r.pr, r.final, r.reason, r.sha) for r in history] == [
        (1, "merged", "build b1 of base + #1 passed", "h1"),
        (2, "ejected", "build b2 of base + #2 failed", "h2"),
        (3, "dequeued", "removed from the merge queue", "h3"),
        (4, "ejected", "merge conflict in app.py, docs/x.md", "h4"),
        (5, "ejected", f"CI errored 3 times (last: {build.build_id})", "h5"),
    ]
    assert all(before <= r.at <= time.time() for r in history if r.at is not None)
    assert store.history(4) == [history[3]]


def test_a_merge_of_several_prs_names_the_build_and_each_head(store):
    store.init("base")
    eager = make_strategy("quantum", StrategyOptions(depth=3))
    for event in (Enqueue(1, "h1"), Enqueue(2, "h2"), BuildFinished("b2", "pass")):
        store.transition(lambda state, e=event: step(eager, state, e))  # b2 lands #1 and #2
    assert [(r.pr, r.reason, r.sha) for r in store.history()] == [
        (1, "build b2 of base + #1 + #2 passed", "h1"),
        (2, "build b2 of base + #1 + #2 passed", "h2"),
    ]


def test_concurrent_writers_keep_each_reason_with_its_pr(store, location):
    store.init("base")

    def writer(offset):
        mine = open_store(*location)
        try:
            for pr in range(offset, offset + 8):
                apply(mine, Enqueue(pr, f"h{pr}"))
                apply(mine, Conflicted(pr, (f"f{pr}.py",)))
        finally:
            mine.close()

    threads = [threading.Thread(target=writer, args=(i * 100,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    history = store.history()
    assert len(history) == 32
    assert all(r.reason == f"merge conflict in f{r.pr}.py" for r in history)
    assert all(r.sha == f"h{r.pr}" for r in history)


def test_a_driver_that_writes_a_final_state_itself_gets_no_reason_given(store):
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    store.transition(lambda s: (replace(s, finished=(*s.finished, (7, "dequeued"))), []))
    [record] = store.history()
    assert (record.pr, record.final, record.reason) == (7, "dequeued", "no reason given")


def test_sqlite_adds_the_reason_columns_to_an_older_file_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(OLD_SQLITE)
        old = QueueState("base", finished=((1, "merged"), (2, "ejected")), finished_total=2)
        db.execute("INSERT INTO state (id, data) VALUES (1, ?)", (state_to_json(old),))
    store = SQLiteStore(path)
    try:
        assert store.history() == [FinalRecord(1, "merged"), FinalRecord(2, "ejected")]
        assert store.load().final_state(2) == "ejected"
        apply(store, Enqueue(3, "h3"))
        apply(store, Dequeue(3))
        *_, last = store.history()
        assert (last.pr, last.reason) == (3, "removed from the merge queue")
        assert store.claim("w") is not None  # the old job, and the jobs table migrated too
    finally:
        store.close()
    SQLiteStore(path).close()  # a second open finds the columns there
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM finished").fetchone() == (3,)


# What a store written before 0.2 looks like: no reasons, no job attempts.
OLD_SQLITE = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL DEFAULT 1, data TEXT NOT NULL);
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, build_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'ready', worker TEXT, claimed_ms INTEGER);
INSERT INTO jobs (build_id, payload) VALUES ('b9', '{"build_id":"b9","base_sha":"base","prs":[]}');
CREATE TABLE finished (id INTEGER PRIMARY KEY AUTOINCREMENT, pr INTEGER NOT NULL,
    final TEXT NOT NULL);
CREATE INDEX finished_pr ON finished (pr);
INSERT INTO finished (pr, final) VALUES (1, 'merged'), (2, 'ejected');
"""


def test_redis_reads_a_final_state_an_older_writer_pushed_as_not_recorded(redis_server):
    import redis

    store = open_store("redis", redis_server.url)
    store.init("base")
    apply(store, Enqueue(1, "h1"))
    apply(store, Dequeue(1))
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.rpush("velocity:quantum:finished", "9:merged")  # as a 0.1 replica would
    apply(store, Enqueue(2, "h2"))
    apply(store, Conflicted(2, ("a.py",)))
    # Older readers parse the list alone: its items keep their shape.
    assert client.lrange("velocity:quantum:finished", 0, -1) == [
        "1:dequeued",
        "9:merged",
        "2:ejected",
    ]
    client.close()
    assert [(r.pr, r.reason) for r in store.history()] == [
        (1, "removed from the merge queue"),
        (9, None),
        (2, "merge conflict in a.py"),
    ]
    store.close()
