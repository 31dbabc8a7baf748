"""The embedded default store: one SQLite file, every transition one IMMEDIATE transaction."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from velocity.quantum.codec import Job
from velocity.quantum.codec import job_from_json
from velocity.quantum.codec import job_to_json
from velocity.quantum.codec import state_from_json
from velocity.quantum.codec import state_to_json
from velocity.quantum.model import Action
from velocity.quantum.model import CancelBuild
from velocity.quantum.model import QueueState
from velocity.quantum.model import StartBuild
from velocity.quantum.store._finals import records
from velocity.quantum.store.protocol import Claim
from velocity.quantum.store.protocol import FinalRecord
from velocity.quantum.store.protocol import StoreError
from velocity.quantum.store.protocol import Transition

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 1
"""Bumped on every incompatible change; a store of another version is refused."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL DEFAULT 1,  -- bumped by every transition
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    build_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ready',  -- ready | claimed | done | cancelled
    worker TEXT,
    claimed_ms INTEGER
);
CREATE TABLE IF NOT EXISTS finished (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pr INTEGER NOT NULL,
    final TEXT NOT NULL,
    reason TEXT,  -- NULL: written before 0.2 kept reasons
    at REAL,  -- seconds since the epoch
    sha TEXT
);
CREATE INDEX IF NOT EXISTS finished_pr ON finished (pr);
"""


# Columns added in 0.2; older files get them in place (ADD COLUMN keeps every row).
_ADDED = {
    "jobs": (("attempts", "INTEGER NOT NULL DEFAULT 0"),),
    "finished": (("reason", "TEXT"), ("at", "REAL"), ("sha", "TEXT")),
}

_CANCEL = "UPDATE jobs SET status = 'cancelled' WHERE build_id = ? AND status != 'done'"


def _now_ms() -> int:
    return int(time.time() * 1000)


class SQLiteStore:
    """A :class:`~velocity.quantum.store.Store` in the SQLite file at *path*.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``finished`` rows carry ``reason``, ``at`` and ``sha``; a file written before
       gets the columns when opened, its rows kept (their reason is ``NULL``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit BEGIN IMMEDIATE ... COMMIT.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._last: tuple[int, QueueState] | None = None
        self._db.execute("PRAGMA journal_mode=WAL")
        try:
            with self._tx():
                self._create()
        except BaseException:
            self._db.close()
            raise

    def _create(self) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        for table, added in _ADDED.items():
            columns = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in added:
                if name not in columns:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {row[0]}, this Velocity needs {SCHEMA_VERSION}"
            )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def init(self, base_sha: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO state (id, data) VALUES (1, ?)",
                (state_to_json(QueueState(base_sha)),),
            )

    def load(self) -> QueueState:
        row = self._db.execute("SELECT version FROM state WHERE id = 1").fetchone()
        if row is None:
            raise StoreError(f"no merge queue in {self.path} yet (enqueue a PR first)")
        # Decoding the whole queue is the slow part: skip it if nobody wrote since.
        if self._last is None or self._last[0] != row[0]:
            data = self._db.execute("SELECT version, data FROM state WHERE id = 1").fetchone()
            self._last = (data[0], state_from_json(data[1]))
        return self._last[1]

    def transition(self, fn: Transition) -> tuple[QueueState, list[Action]]:
        with self._tx() as db:
            old = self.load()
            state, actions = fn(old)
            db.executemany(
                "INSERT INTO finished (pr, final, reason, at, sha) VALUES (?, ?, ?, ?, ?)",
                [(r.pr, r.final, r.reason, r.at, r.sha) for r in records(old, state, actions)],
            )
            db.execute(
                "UPDATE state SET data = ?, version = version + 1 WHERE id = 1",
                (state_to_json(state),),
            )
            version = db.execute("SELECT version FROM state WHERE id = 1").fetchone()[0]
            for action in actions:
                if isinstance(action, StartBuild):
                    job = Job.of(action)
                    db.execute(
                        "INSERT INTO jobs (build_id, payload) VALUES (?, ?)",
                        (job.build_id, job_to_json(job)),
                    )
                elif isinstance(action, CancelBuild):
                    db.execute(_CANCEL, (action.build_id,))
        self._last = (version, state)
        return state, actions

    def claim(self, worker: str) -> Claim | None:
        with self._tx() as db:
            row = db.execute(
                "SELECT id, payload, attempts FROM jobs WHERE status = 'ready' ORDER BY id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'claimed', worker = ?, claimed_ms = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (worker, _now_ms(), row[0]),
            )
        return Claim(str(row[0]), job_from_json(row[1]), row[2] + 1)

    def ack(self, claim: Claim) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET status = 'done' WHERE id = ? AND status = 'claimed'",
                (int(claim.claim_id),),
            )

    def reclaim(self, worker: str, min_idle_ms: int) -> list[Claim]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, payload, attempts FROM jobs"
                " WHERE status = 'claimed' AND claimed_ms <= ? ORDER BY id",
                (_now_ms() - min_idle_ms,),
            ).fetchall()
            for row in rows:
                db.execute(
                    "UPDATE jobs SET worker = ?, claimed_ms = ?, attempts = attempts + 1"
                    " WHERE id = ?",
                    (worker, _now_ms(), row[0]),
                )
        return [Claim(str(r[0]), job_from_json(r[1]), r[2] + 1) for r in rows]

    def history(self, pr: int | None = None) -> list[FinalRecord]:
        where, args = ("WHERE pr = ?", (pr,)) if pr is not None else ("", ())
        rows = self._db.execute(
            f"SELECT pr, final, reason, at, sha FROM finished {where} ORDER BY id",  # noqa: S608 - fixed text
            args,
        )
        return [FinalRecord(int(n), *rest) for n, *rest in rows]

    def is_cancelled(self, build_id: str) -> bool:
        row = self._db.execute("SELECT status FROM jobs WHERE build_id = ?", (build_id,)).fetchone()
        return row is not None and row[0] == "cancelled"

    def close(self) -> None:
        self._db.close()
