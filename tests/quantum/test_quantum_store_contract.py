"""One contract, every store backend."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import replace

import pytest

from velocity.quantum import _queue
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Enqueue
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.scheduler import step
from velocity.quantum.store import StoreError
from velocity.quantum.store import open_store
from velocity.quantum.store.sqlite import SQLiteStore
from velocity.quantum.strategies import SpeculativeStrategy

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
    assert store.history() == [(pr, "dequeued") for pr in range(1, 6)]
    assert store.history(2) == [(2, "dequeued")]
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
