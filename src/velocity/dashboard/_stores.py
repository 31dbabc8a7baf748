"""Find the merge queues behind a ``--store`` location without creating any."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import redis

from velocity.quantum.store.protocol import Store
from velocity.quantum.store.protocol import StoreError
from velocity.quantum.store.redis import RedisStore
from velocity.quantum.store.sqlite import SQLiteStore

__all__ = ["QueueRef", "discover", "is_redis", "redact"]

PREFIX = "velocity:quantum:"  # RedisStore's default; the GitHub App adds "owner/repo:"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class QueueRef:
    """Where one queue lives: a SQLite file, or a key prefix in a Redis."""

    name: str
    backend: str
    location: str
    prefix: str = PREFIX

    def open(self) -> Store:
        if self.backend == "redis":
            return RedisStore(self.location, prefix=self.prefix)
        return SQLiteStore(self.location)


def is_redis(location: str) -> bool:
    return location.startswith(_REDIS_SCHEMES)


def redact(location: str) -> str:
    """*location* without a password, for pages and error messages."""
    if not is_redis(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    host = parts.netloc.rpartition("@")[2]  # as written: the port may not even be a number
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def discover(location: str, *, must_exist: bool) -> list[QueueRef]:
    """The queues at *location*: a Redis URL, a SQLite file or a directory of them.

    :param must_exist: a SQLite path that does not exist is an error (else: no queues).
    :raises StoreError: a malformed URL, an unreachable Redis, a missing path.
    """
    if is_redis(location):
        return _redis_queues(location)
    if "://" in location:
        raise StoreError(f"unsupported store {location!r}: use redis://..., or a SQLite path")
    path = Path(location)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in _SQLITE_SUFFIXES)
        return [QueueRef(p.stem, "sqlite", str(p)) for p in files if _has_queue(p)]
    if path.is_file():
        if not _has_queue(path):
            raise StoreError(f"{location} is not a merge queue store")
        return [QueueRef(path.stem, "sqlite", str(path))]
    if must_exist:
        raise StoreError(f"no such store: {location}")
    return []


def _has_queue(path: Path) -> bool:
    # Read-only, so a look at a file that is something else never changes it.
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'state'"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return row is not None


def _redis_queues(url: str) -> list[QueueRef]:
    shown = redact(url)
    try:
        client: redis.Redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)
    except ValueError as exc:
        raise StoreError(f"bad Redis URL {shown}: {exc}") from None
    try:
        client.ping()
        keys = sorted(str(k) for k in client.scan_iter(match=PREFIX + "*version", count=500))
    except (redis.RedisError, OSError) as exc:
        raise StoreError(f"cannot reach Redis at {shown}: {exc}") from None
    except ValueError as exc:  # a port that is not a number is only found on connecting
        raise StoreError(f"bad Redis URL {shown}: {exc}") from None
    finally:
        client.close()
    refs = []
    for key in keys:
        prefix = key.removesuffix("version")
        if prefix.endswith(":"):
            name = prefix.removeprefix(PREFIX).rstrip(":") or "default"
            refs.append(QueueRef(name, "redis", url, prefix))
    return refs or [QueueRef("default", "redis", url)]
