"""The queue's JSON: entries in merge order, speculative builds as a tree, stored reasons."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from dashboard_support import write_as_older_velocity
from jsonschema import Draft202012Validator

from velocity.dashboard import create_app
from velocity.dashboard._api import OPENAPI
from velocity.dashboard._queue import _state_json
from velocity.quantum import FinalRecord
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted
from velocity.quantum.model import Enqueue
from velocity.quantum.model import QueueState
from velocity.quantum.scheduler import step
from velocity.quantum.store import open_store
from velocity.quantum.strategies import StrategyOptions
from velocity.quantum.strategies import make_strategy

SPEC = json.loads(OPENAPI.read_text())


def queued(strategy: str) -> QueueState:
    chosen = make_strategy(strategy, StrategyOptions(depth=4))
    state = QueueState("0" * 40)
    for pr in (1, 2, 3, 4):
        state, _ = step(chosen, state, Enqueue(pr, str(pr) * 40))
    return state


def shape(nodes) -> list:
    return [(n["pr"], [b["id"] for b in n["builds"]], shape(n["children"])) for n in nodes]


def test_a_build_that_skips_the_head_is_a_second_branch():
    data = _state_json(queued("quantum"), [], {})
    # b3 tests #2 without #1 (in case #1 fails): a branch of its own beside #1's.
    assert shape(data["tree"]) == [
        (1, ["b1"], [(2, ["b2"], [(3, ["b4"], [])])]),
        (2, ["b3"], []),
    ]
    assert [(e["pr"], e["build"]) for e in data["entries"]] == [
        (1, "b1"),
        (2, "b2"),
        (3, "b4"),
        (4, None),
    ]


def test_an_empty_store_has_an_empty_shape():
    assert _state_json(None, [], {})["tree"] == []


def test_a_record_without_a_stored_reason_shows_the_guess_as_not_recorded():
    history = [FinalRecord(1, "merged", "build b1 of base + #1 passed", 5.0, "1" * 40)]
    history.append(FinalRecord(2, "ejected"))
    data = _state_json(QueueState("0" * 40), history, {1: "ejected: b2 (base + #2) failed"})
    assert [(h["pr"], h["reason"], h["recorded"], h["at"]) for h in data["history"]] == [
        (2, "ejected: b2 (base + #2) failed", False, None),
        (1, "build b1 of base + #1 passed", True, 5.0),
    ]


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request, tmp_path: Path) -> str:
    if request.param == "redis":
        return request.getfixturevalue("redis_server").url
    return str(tmp_path / "quantum.db")


def test_the_api_gives_the_stored_reasons_of_what_finished_before_it_started(serve, store_url):
    store = open_store("redis" if store_url.startswith("redis") else "sqlite", store_url)
    store.init("d" * 40)
    strategy = make_strategy("speculative", StrategyOptions(depth=2))
    events = (
        Enqueue(5, "5" * 40),
        Enqueue(6, "6" * 40),
        Enqueue(7, "7" * 40),
        BuildFinished("b1", "pass"),
        BuildFinished("b2", "fail"),
        Conflicted(7, ("a.py",)),
    )
    for event in events:
        store.transition(lambda s, e=event: step(strategy, s, e))
    store.close()
    write_as_older_velocity(store_url, 4, "dequeued")
    url = serve(create_app(store=store_url, poll_interval=0.1))

    response = httpx.get(url + "/api/queues", timeout=30)
    assert response.status_code == 200
    schema = SPEC["paths"]["/api/queues"]["get"]["responses"]["200"]["content"]
    Draft202012Validator(
        {**schema["application/json"]["schema"], "components": SPEC["components"]}
    ).validate(response.json())
    [queue] = response.json()["queues"]
    shown = [(h["pr"], h["final"], h["reason"], h["recorded"], h["sha"]) for h in queue["history"]]
    assert shown == [
        (4, "dequeued", None, False, None),
        (7, "ejected", "merge conflict in a.py", True, "7" * 40),
        (6, "ejected", "build b2 of base + #6 failed", True, "6" * 40),
        (5, "merged", "build b1 of base + #5 passed", True, "5" * 40),
    ]
    assert all(isinstance(h["at"], float) for h in queue["history"][1:])
    assert queue["finished_total"] == 4
