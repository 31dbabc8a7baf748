"""The watch loop: an observer feeds the batcher, each settled batch is one sync."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from typing import Self

from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from velocity.core.errors import VelocityError
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._sync import SyncResult
from velocity.livepatch.watch._batcher import Batch
from velocity.livepatch.watch._batcher import Batcher
from velocity.livepatch.watch._limits import WatchLimitError
from velocity.livepatch.watch._limits import check_watch_limit
from velocity.livepatch.watch._limits import count_dirs
from velocity.livepatch.watch._limits import describe_os_error
from velocity.livepatch.watch._limits import is_watch_limit
from velocity.livepatch.watch._limits import read_watch_limit

__all__ = ["Watcher"]


class Watcher:
    """Watch *syncer*'s source tree and sync every settled batch of changes.

    :param syncer: an open :class:`~velocity.livepatch.client.Syncer` (its channel is reused).
    :param on_batch: called with the result of every sync that changed something.
    :param batcher_options: passed to :class:`Batcher` (``quiet``, ``burst_quiet``, ...).

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        syncer: Syncer,
        on_batch: Callable[[SyncResult], None] = lambda result: None,
        **batcher_options: Any,
    ) -> None:
        self.syncer, self.on_batch = syncer, on_batch
        self.src = Path(os.path.realpath(syncer.src))

        # The syncer's rules, always current: a full walk reloads them and adds nested ones.
        def ignored(path: str) -> bool:
            return syncer.ignored(path)

        self.batcher = Batcher(os.fspath(self.src), ignored, **batcher_options)
        self.stop_event = threading.Event()
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        """Check the inotify limit and start observing (before the first sync: nothing is lost).

        :raises WatchLimitError: too many directories for ``fs.inotify.max_user_watches``.
        """
        check_watch_limit(self.src)
        observer = Observer()
        observer.schedule(self.batcher, os.fspath(self.src), recursive=True)
        try:
            observer.start()
        except OSError as exc:
            if is_watch_limit(exc):
                raise WatchLimitError(self.src, count_dirs(self.src), read_watch_limit()) from None
            raise VelocityError(f"cannot watch {self.src}: {describe_os_error(exc)}") from None
        self._observer = observer

    def run(self) -> None:
        """Sync the whole tree once, then every batch, until :meth:`stop` (or Ctrl-C)."""
        if self._observer is None:
            self.start()
        self._sync(None)
        while (batch := self.batcher.next_batch(self.stop_event)) is not None:
            self._sync(batch)

    def _sync(self, batch: Batch | None) -> None:
        paths = None if batch is None or batch.rescan else sorted(batch.paths)
        try:
            result = self.syncer.sync(paths)
        except BaseException:
            if batch is not None:
                self.batcher.requeue(batch)
            raise
        if result.changed:
            self.on_batch(result)

    def stop(self) -> None:
        """Ask :meth:`run` to return after the batch in flight; safe from any thread."""
        self.stop_event.set()

    def close(self) -> None:
        """Stop observing (the syncer stays open: it belongs to the caller)."""
        self.stop()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
