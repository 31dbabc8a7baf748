"""``.velocity/coverage.sqlite``: which function blocks each test executed, per recorded file.

Written whole by ``pytest --affected-record`` (to a temporary file, then renamed into
place), read by coverage precision. A file that can't be read as a store of this version --
corrupt, truncated, from another version -- is removed, and selection falls back to the
static graph, saying why.

.. versionadded:: 0.2
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from velocity.core.workdir import private_dir

__all__ = [
    "FileRecord",
    "Recording",
    "Store",
    "StoreError",
    "TestRecord",
    "blob_id",
    "open_store",
    "store_path",
    "write_store",
]

_VERSION = "1"
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, blob TEXT NOT NULL,
    module TEXT NOT NULL);
CREATE TABLE functions (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, name TEXT NOT NULL,
    fingerprint TEXT NOT NULL, measurable INTEGER NOT NULL, shared INTEGER NOT NULL,
    UNIQUE (file_id, name));
CREATE TABLE tests (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, file TEXT NOT NULL,
    opaque INTEGER NOT NULL);
CREATE TABLE hits (test_id INTEGER NOT NULL, function_id INTEGER NOT NULL);
CREATE TABLE test_files (path TEXT PRIMARY KEY, blob TEXT NOT NULL, complete INTEGER NOT NULL);
CREATE INDEX hits_function ON hits(function_id);
CREATE INDEX tests_file ON tests(file);
"""


class StoreError(Exception):
    """The store exists but can't be trusted (it has been removed)."""


def blob_id(data: bytes) -> str:
    """Git's object id of a blob with *data* (what ``git ls-tree`` lists).

    .. versionadded:: 0.2
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class FileRecord:
    """A source module as recorded: its content, module block and function blocks.

    :param functions: name -> (fingerprint, measurable, shared); *shared*: some of its lines
        ran outside any one test (an import, collection, a fixture wider than a function).

    .. versionadded:: 0.2
    """

    blob: str
    module: str
    functions: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)


@dataclass
class TestRecord:
    """One recorded test. *opaque*: it failed or started a process; never narrowed away.

    .. versionadded:: 0.2
    """

    key: str
    file: str
    opaque: bool = False
    hits: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Recording:
    """Everything one recording run writes.

    .. versionadded:: 0.2
    """

    files: dict[str, FileRecord] = field(default_factory=dict)
    tests: dict[str, TestRecord] = field(default_factory=dict)
    test_files: dict[str, tuple[str, bool]] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)


def store_path(root: Path) -> Path:
    """Where the coverage records of the repository at *root* live.

    .. versionadded:: 0.2
    """
    return root / ".velocity" / "coverage.sqlite"


def write_store(root: Path, rec: Recording) -> Path:
    """Replace the store with *rec* (atomically).

    .. versionadded:: 0.2
    """
    path = store_path(root)
    private_dir(path.parent)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        with conn:
            conn.executescript(_SCHEMA)
            _fill(conn, rec)
    finally:
        conn.close()
    os.replace(tmp, path)
    return path


def _fill(conn: sqlite3.Connection, rec: Recording) -> None:
    meta = {**rec.meta, "version": _VERSION}
    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    ids: dict[tuple[str, str], int] = {}
    for path, frec in sorted(rec.files.items()):
        cur = conn.execute(
            "INSERT INTO files (path, blob, module) VALUES (?, ?, ?)",
            (path, frec.blob, frec.module),
        )
        file_id = cur.lastrowid
        for name, (fp, measurable, shared) in sorted(frec.functions.items()):
            cur = conn.execute(
                "INSERT INTO functions (file_id, name, fingerprint, measurable, shared)"
                " VALUES (?, ?, ?, ?, ?)",
                (file_id, name, fp, int(measurable), int(shared)),
            )
            ids[path, name] = int(cur.lastrowid or 0)
    for key, test in sorted(rec.tests.items()):
        cur = conn.execute(
            "INSERT INTO tests (key, file, opaque) VALUES (?, ?, ?)",
            (key, test.file, int(test.opaque)),
        )
        test_id = cur.lastrowid
        rows = [(test_id, ids[hit]) for hit in sorted(test.hits) if hit in ids]
        conn.executemany("INSERT INTO hits VALUES (?, ?)", rows)
    conn.executemany(
        "INSERT INTO test_files VALUES (?, ?, ?)",
        [(p, blob, int(complete)) for p, (blob, complete) in sorted(rec.test_files.items())],
    )


class Store:
    """A read-only view of the store; queries go to SQLite as they are asked.

    .. versionadded:: 0.2
    """

    def __init__(self, conn: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.conn, self.meta = conn, meta

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def file(self, path: str) -> FileRecord | None:
        """The record of source module *path*, if it was recorded."""
        row = self.conn.execute("SELECT id, blob, module FROM files WHERE path = ?", (path,))
        found = row.fetchone()
        if found is None:
            return None
        rec = FileRecord(found[1], found[2])
        for name, fp, measurable, shared in self.conn.execute(
            "SELECT name, fingerprint, measurable, shared FROM functions WHERE file_id = ?",
            (found[0],),
        ):
            rec.functions[name] = (fp, bool(measurable), bool(shared))
        return rec

    def blobs(self) -> dict[str, str]:
        """Every recorded file (source and test) -> its blob id when recorded."""
        rows = self.conn.execute(
            "SELECT path, blob FROM files UNION SELECT path, blob FROM test_files"
        )
        return dict(rows.fetchall())

    def tests_executing(self, path: str, names: Iterable[str]) -> set[str]:
        """Keys of the tests that executed any of the function blocks *names* of *path*."""
        keys: set[str] = set()
        for name in sorted(set(names)):
            rows = self.conn.execute(
                "SELECT t.key FROM hits h JOIN tests t ON t.id = h.test_id"
                " JOIN functions f ON f.id = h.function_id JOIN files fi ON fi.id = f.file_id"
                " WHERE fi.path = ? AND f.name = ?",
                (path, name),
            )
            keys.update(key for (key,) in rows)
        return keys

    def tests_in(self, test_file: str) -> dict[str, bool]:
        """The recorded tests of *test_file*: key -> opaque."""
        rows = self.conn.execute("SELECT key, opaque FROM tests WHERE file = ?", (test_file,))
        return {key: bool(opaque) for key, opaque in rows}

    def complete(self, test_file: str) -> bool:
        """Every test of *test_file* ran, passed, and was recorded."""
        row = self.conn.execute("SELECT complete FROM test_files WHERE path = ?", (test_file,))
        found = row.fetchone()
        return bool(found and found[0])


def open_store(root: Path) -> Store | None:
    """The store of *root*, or None when there is none.

    :raises StoreError: the file is unreadable, corrupt or of another version; it has been
        removed (the next ``--affected-record`` writes a new one).

    .. versionadded:: 0.2
    """
    path = store_path(root)
    if not path.exists():
        return None
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        (status,) = conn.execute("PRAGMA quick_check").fetchone()
        if status != "ok":
            raise sqlite3.DatabaseError(str(status))
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("version") != _VERSION:
            raise sqlite3.DatabaseError(f"version {meta.get('version')!r}, not {_VERSION}")
        for table in ("files", "functions", "tests", "hits", "test_files"):
            conn.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()  # noqa: S608
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        path.unlink(missing_ok=True)
        raise StoreError(f"{path.name} is unreadable ({exc}); removed it") from None
    return Store(conn, meta)
