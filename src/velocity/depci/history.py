"""``.velocity/history.sqlite``: runs, test outcomes, and every selection with its reason.

Written by the pytest plugin (and ``dep-ci run``), read by ``dep-ci flaky report`` and
``dep-ci report``. One connection per call: the file is small and written once per run.

.. versionadded:: 0.1
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from velocity.core.workdir import private_dir

if TYPE_CHECKING:
    from velocity.depci.plan import Plan

__all__ = ["Outcome", "RunRecord", "audit", "flaky_stats", "history_path", "plan_record", "record"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, tool TEXT NOT NULL, base TEXT,
    changed INTEGER NOT NULL, selected INTEGER NOT NULL, total INTEGER NOT NULL,
    run_all INTEGER NOT NULL, reasons TEXT NOT NULL, exitstatus INTEGER);
CREATE TABLE IF NOT EXISTS outcomes (
    run_id INTEGER NOT NULL REFERENCES runs(id), nodeid TEXT NOT NULL,
    outcome TEXT NOT NULL, failed_attempts INTEGER NOT NULL, duration REAL NOT NULL);
CREATE TABLE IF NOT EXISTS selections (
    run_id INTEGER NOT NULL REFERENCES runs(id), path TEXT NOT NULL,
    selected INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outcomes_nodeid ON outcomes(nodeid);
"""


@dataclass
class Outcome:
    """One test's result: ``passed``, ``failed``, ``skipped`` or ``flaky``.

    .. versionadded:: 0.1
    """

    nodeid: str
    outcome: str
    failed_attempts: int = 0
    duration: float = 0.0


@dataclass
class RunRecord:
    """One run of a front end, as the history keeps it.

    :param selections: ``(test file, selected, reason)`` for every test file.

    .. versionadded:: 0.1
    """

    tool: str
    base: str | None
    changed: int
    selected: int
    total: int
    run_all: bool
    reasons: list[str] = field(default_factory=list)
    exitstatus: int | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    selections: list[tuple[str, bool, str]] = field(default_factory=list)
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def plan_record(plan: Plan | None, tool: str) -> RunRecord:
    """A :class:`RunRecord` of *plan* (every test file with the reason it runs or not).

    .. versionadded:: 0.1
    """
    if plan is None:
        return RunRecord(tool, None, 0, 0, 0, run_all=True, reasons=["no selection asked for"])
    chosen = set(plan.tests)
    return RunRecord(
        tool,
        plan.base,
        changed=len(plan.changed),
        selected=len(chosen),
        total=len(plan.all_tests),
        run_all=plan.run_all,
        reasons=list(plan.selection.reasons),
        selections=[(t, t in chosen, plan.reason(t)) for t in plan.all_tests],
    )


def history_path(root: Path) -> Path:
    """Where the history of the repository at *root* lives.

    .. versionadded:: 0.1
    """
    return root / ".velocity" / "history.sqlite"


@contextmanager
def _connect(root: Path, create: bool) -> Iterator[sqlite3.Connection | None]:
    path = history_path(root)
    if not create and not path.exists():
        yield None
        return
    private_dir(path.parent)
    conn = sqlite3.connect(path, timeout=30)
    try:
        with conn:
            conn.executescript(_SCHEMA)
            yield conn
    finally:
        conn.close()


def record(root: Path, run: RunRecord) -> int:
    """Append *run* to the history; returns its id.

    .. versionadded:: 0.1
    """
    with _connect(root, create=True) as conn:
        assert conn is not None
        cur = conn.execute(
            "INSERT INTO runs (started, tool, base, changed, selected, total, run_all, reasons,"
            " exitstatus) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run.started, run.tool, run.base, run.changed, run.selected, run.total,
             int(run.run_all), "; ".join(run.reasons), run.exitstatus),
        )  # fmt: skip
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO outcomes VALUES (?, ?, ?, ?, ?)",
            [(run_id, o.nodeid, o.outcome, o.failed_attempts, o.duration) for o in run.outcomes],
        )
        conn.executemany(
            "INSERT INTO selections VALUES (?, ?, ?, ?)",
            [(run_id, path, int(sel), why) for path, sel, why in run.selections],
        )
        return run_id


def flaky_stats(root: Path) -> list[dict[str, Any]]:
    """Per test that was ever flaky: runs, flaky runs, flake rate and when last seen flaky.

    .. versionadded:: 0.1
    """
    query = """
        SELECT o.nodeid, COUNT(*) AS runs, SUM(o.outcome = 'flaky') AS flaky,
               SUM(o.outcome = 'failed') AS failed,
               MAX(CASE WHEN o.outcome = 'flaky' THEN r.started END) AS last_seen
        FROM outcomes o JOIN runs r ON r.id = o.run_id
        GROUP BY o.nodeid HAVING SUM(o.outcome = 'flaky') > 0
        ORDER BY flaky * 1.0 / runs DESC, o.nodeid"""
    rows = _rows(root, query, ())
    for row in rows:
        row["flake_rate"] = round(row["flaky"] / row["runs"], 4)
    return rows


def audit(root: Path, limit: int = 20) -> list[dict[str, Any]]:
    """The last *limit* runs, newest first, each with its skipped and selected test files.

    .. versionadded:: 0.1
    """
    runs = _rows(root, "SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
    for run in runs:
        sels = _rows(root, "SELECT * FROM selections WHERE run_id = ? ORDER BY path", (run["id"],))
        run["run_all"] = bool(run["run_all"])
        run["skipped"] = [
            {"path": s["path"], "reason": s["reason"]} for s in sels if not s["selected"]
        ]
        run["selected_tests"] = [
            {"path": s["path"], "reason": s["reason"]} for s in sels if s["selected"]
        ]
    return runs


def _rows(root: Path, query: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    with _connect(root, create=False) as conn:
        if conn is None:
            return []
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(query, args)]
