from __future__ import annotations

import pytest
from velocity_github_app import Ledger
from velocity_github_app import RedisLedger
from velocity_github_app import SQLiteLedger


@pytest.fixture(params=["sqlite", "redis"])
def ledger(request, tmp_path):
    opened: Ledger
    if request.param == "redis":
        opened = RedisLedger(request.getfixturevalue("redis_server").url)
    else:
        opened = SQLiteLedger(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


def test_first_delivery_is_true_once(ledger):
    assert ledger.first_delivery("d-1")
    assert not ledger.first_delivery("d-1")
    assert ledger.first_delivery("d-2")


def test_values_and_sets(ledger):
    assert ledger.get("k") is None
    ledger.put("k", "v1")
    ledger.put("k", "v2")
    assert ledger.get("k") == "v2"
    ledger.delete("k")
    ledger.delete("k")
    assert ledger.get("k") is None
    assert ledger.members("s") == set()
    ledger.add("s", "a")
    ledger.add("s", "a")
    ledger.add("s", "b")
    ledger.discard("s", "a")
    ledger.discard("s", "zzz")
    assert ledger.members("s") == {"b"}


def test_sqlite_ledger_survives_a_restart(tmp_path):
    first = SQLiteLedger(tmp_path / "l.sqlite3")
    first.first_delivery("d")
    first.put("installation:a/b", "7")
    first.close()
    second = SQLiteLedger(tmp_path / "l.sqlite3")
    assert not second.first_delivery("d")
    assert second.get("installation:a/b") == "7"
    second.close()
