"""The app's own small records, beside the queue state: deliveries seen, installations, branches.

One :class:`Ledger` protocol, two backends registered in :data:`LEDGERS`: SQLite for one
process, Redis when several replicas must agree (a delivery is then processed once
across all of them).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

import redis

__all__ = ["DELIVERY_TTL_S", "LEDGERS", "Ledger", "RedisLedger", "SQLiteLedger"]

DELIVERY_TTL_S = 7 * 24 * 3600
"""How long a delivery id is remembered (GitHub redelivers for at most a few days)."""


class Ledger(Protocol):
    """Key-value and set records the app keeps next to the queue store.

    .. versionadded:: 0.1
    """

    def first_delivery(self, delivery_id: str) -> bool:
        """Record *delivery_id*; ``True`` only the first time it is seen (atomic)."""

    def get(self, key: str) -> str | None:
        """The value stored under *key*, or ``None``."""

    def put(self, key: str, value: str) -> None:
        """Store *value* under *key*."""

    def delete(self, key: str) -> None:
        """Forget *key*."""

    def add(self, name: str, member: str) -> None:
        """Add *member* to the set *name*."""

    def discard(self, name: str, member: str) -> None:
        """Remove *member* from the set *name* if it is there."""

    def members(self, name: str) -> set[str]:
        """Every member of the set *name*."""

    def close(self) -> None:
        """Release connections."""


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sets (name TEXT, member TEXT, PRIMARY KEY (name, member))",
)


class SQLiteLedger:
    """A :class:`Ledger` in the SQLite file at *path*, shared by the threads of one process.

    .. versionadded:: 0.1
    """

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The handler's thread pool and the runner thread share one connection, under a lock.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # No fsync per delivery: losing the newest ids to a power cut only repeats hints,
        # which are harmless by design; an fsync stall would hold up every webhook answer.
        self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def _run(self, sql: str, *args: object) -> list[tuple[str, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def first_delivery(self, delivery_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?)", (delivery_id, time.time())
            )
            return cursor.rowcount == 1

    def get(self, key: str) -> str | None:
        rows = self._run("SELECT value FROM kv WHERE key = ?", key)
        return rows[0][0] if rows else None

    def put(self, key: str, value: str) -> None:
        self._run("INSERT OR REPLACE INTO kv VALUES (?, ?)", key, value)

    def delete(self, key: str) -> None:
        self._run("DELETE FROM kv WHERE key = ?", key)

    def add(self, name: str, member: str) -> None:
        self._run("INSERT OR IGNORE INTO sets VALUES (?, ?)", name, member)

    def discard(self, name: str, member: str) -> None:
        self._run("DELETE FROM sets WHERE name = ? AND member = ?", name, member)

    def members(self, name: str) -> set[str]:
        return {row[0] for row in self._run("SELECT member FROM sets WHERE name = ?", name)}

    def close(self) -> None:
        self._db.close()


class RedisLedger:
    """A :class:`Ledger` in the Redis at *url*, keys under *prefix*.

    .. versionadded:: 0.1
    """

    def __init__(self, url: str, *, prefix: str = "velocity:github-app:") -> None:
        self._r: redis.Redis = redis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def first_delivery(self, delivery_id: str) -> bool:
        key = f"{self._prefix}delivery:{delivery_id}"
        return bool(self._r.set(key, "1", nx=True, ex=DELIVERY_TTL_S))

    def get(self, key: str) -> str | None:
        value = self._r.get(self._prefix + "kv:" + key)
        return None if value is None else str(value)

    def put(self, key: str, value: str) -> None:
        self._r.set(self._prefix + "kv:" + key, value)

    def delete(self, key: str) -> None:
        self._r.delete(self._prefix + "kv:" + key)

    def add(self, name: str, member: str) -> None:
        self._r.sadd(self._prefix + "set:" + name, member)

    def discard(self, name: str, member: str) -> None:
        self._r.srem(self._prefix + "set:" + name, member)

    def members(self, name: str) -> set[str]:
        found = self._r.smembers(self._prefix + "set:" + name)
        return {str(m) for m in found}

    def close(self) -> None:
        self._r.close()


LEDGERS: dict[str, type[SQLiteLedger] | type[RedisLedger]] = {
    "sqlite": SQLiteLedger,
    "redis": RedisLedger,
}
"""Ledger backends by the same names as velocity.quantum's store backends."""
