"""Guessed reasons, for final states an older Velocity stored without one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from velocity.dashboard._queue import _Queue
from velocity.dashboard._reasons import infer_reasons
from velocity.dashboard._stores import QueueRef
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Dequeue
from velocity.quantum.model import Enqueue
from velocity.quantum.model import QueueState
from velocity.quantum.scheduler import step
from velocity.quantum.store import open_store
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy

STRATEGY = make_strategy("speculative", StrategyOptions(depth=3))


def run(state, *events):
    for event in events:
        state, _ = step(STRATEGY, state, event)
    return state


def guess(old: QueueState, new: QueueState) -> list[str]:
    count = new.finished_total - old.finished_total
    return infer_reasons(old, new, new.finished[len(new.finished) - count :])


def test_merge_eject_dequeue_and_conflict():
    start = run(QueueState("0" * 40), *(Enqueue(pr, str(pr) * 40) for pr in (1, 2, 3, 4)))
    merged = run(start, BuildFinished("b1", "pass"))
    assert guess(start, merged) == ["merged: tested in b1 (base + #1)"]
    ejected = run(merged, BuildFinished("b2", "fail"))
    assert guess(merged, ejected) == ["ejected: b2 (base + #1 + #2) failed"]
    gone = run(ejected, Dequeue(4))
    assert guess(ejected, gone) == ["taken out of the queue on request"]
    conflicted = run(gone, Conflicted(3, ("a.py",)))
    [reason] = guess(gone, conflicted)
    assert reason.startswith("ejected")
    assert guess(conflicted, conflicted) == []


def test_several_steps_between_two_looks():
    # Works while the builds involved were already running at the first look.
    start = run(QueueState("0" * 40), *(Enqueue(pr, str(pr) * 40) for pr in (1, 2, 3)))
    later = run(start, BuildFinished("b1", "pass"), BuildFinished("b2", "fail"), Dequeue(3))
    assert guess(start, later) == [
        "merged: tested in b1 (base + #1)",
        "ejected: b2 (base + #1 + #2) failed",
        "taken out of the queue on request",
    ]


def test_only_a_record_stored_without_a_reason_gets_a_guess(tmp_path: Path):
    path = str(tmp_path / "q.db")
    store = open_store("sqlite", path)
    store.init("0" * 40)
    for event in (Enqueue(1, "1" * 40), Enqueue(2, "2" * 40)):
        store.transition(lambda s, e=event: step(STRATEGY, s, e))
    watched = _Queue(QueueRef("q", "sqlite", path))
    try:
        assert watched.poll()
        for event in (BuildFinished("b1", "pass"), BuildFinished("b2", "fail")):
            store.transition(lambda s, e=event: step(STRATEGY, s, e))
        with closing(sqlite3.connect(path)) as db, db:  # the merge, as an older writer stored it
            db.execute("UPDATE finished SET reason = NULL, at = NULL, sha = NULL WHERE pr = 1")
        assert watched.poll()
        history = watched.to_json()["history"]
    finally:
        watched.close()
        store.close()
    assert [(h["pr"], h["reason"], h["recorded"]) for h in history] == [
        (2, "build b2 of base + #2 failed", True),
        (1, "merged: tested in b1 (base + #1)", False),
    ]
