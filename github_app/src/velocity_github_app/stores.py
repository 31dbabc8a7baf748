"""Where the app keeps things: one quantum store per repository, plus the app's ledger."""

from __future__ import annotations

import threading
from pathlib import Path

from velocity.core.config import QuantumSettings
from velocity.core.errors import VelocityError
from velocity.quantum import Store
from velocity.quantum import open_store
from velocity.quantum.store.redis import RedisStore
from velocity_github_app.ledger import Ledger
from velocity_github_app.ledger import RedisLedger
from velocity_github_app.ledger import SQLiteLedger

__all__ = ["Stores", "open_stores"]


class Stores:
    """Queue stores by repository, opened on first use, and the :class:`Ledger`.

    :param backend: ``sqlite`` or ``redis``.
    :param location: a directory (SQLite: one file per repository) or a ``redis://`` URL.

    .. versionadded:: 0.1
    """

    def __init__(self, backend: str, location: str | Path) -> None:
        if backend not in ("sqlite", "redis"):
            raise VelocityError(f"unknown store backend {backend!r} (choose sqlite or redis)")
        self.backend = backend
        self.location = str(location)
        self.ledger: Ledger = (
            SQLiteLedger(Path(location) / "github-app.sqlite3")
            if backend == "sqlite"
            else RedisLedger(self.location)
        )
        # SQLite connections belong to the thread that opened them: one set per thread.
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def queue(self, owner: str, repo: str) -> Store:
        """The quantum store holding the queue of ``owner/repo``.

        .. versionadded:: 0.1
        """
        cache: dict[str, Store] = self._local.__dict__.setdefault("stores", {})
        key = f"{owner}/{repo}".lower()
        if key not in cache:
            cache[key] = self._open(key)
            with self._lock:
                self._opened.append(cache[key])
        return cache[key]

    def _open(self, key: str) -> Store:
        if self.backend == "redis":
            return RedisStore(self.location, prefix=f"velocity:quantum:{key}:")
        return open_store(
            "sqlite", str(Path(self.location) / (key.replace("/", "--") + ".sqlite3"))
        )

    def close(self) -> None:
        """Close every store and the ledger.

        .. versionadded:: 0.1
        """
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            try:
                store.close()
            except Exception:  # noqa: S112 - a SQLite store opened by another (ended) thread
                continue
        self.ledger.close()


def open_stores(settings: QuantumSettings) -> Stores:
    """The :class:`Stores` *settings* describe (``store``, ``sqlite_path``, ``redis_url``).

    SQLite files go in the directory of ``sqlite_path``.

    .. versionadded:: 0.1
    """
    if settings.store == "redis":
        if settings.redis_url is None:
            raise VelocityError("quantum.store is redis but quantum.redis_url is not set")
        return Stores("redis", settings.redis_url.get_secret_value())
    return Stores("sqlite", settings.sqlite_path.parent)
