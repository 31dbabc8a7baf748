"""Turn watchdog's event stream into debounced batches of root-relative paths.

An editor's atomic save (write a temp file, rename it over the original) and a branch
switch (hundreds of writes in a burst) must each become one batch: a batch closes once
the tree has been quiet for a moment, and the moment grows with the burst.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from watchdog.events import FileSystemEvent
from watchdog.events import FileSystemEventHandler

__all__ = ["Batch", "Batcher"]

# Reading files (our own scan) produces these; they change nothing.
_NOISE = frozenset({"opened", "closed_no_write"})


@dataclass
class Batch:
    """Paths that changed; ``rescan`` when a directory moved or vanished (walk everything).

    .. versionadded:: 0.2
    """

    paths: set[str] = field(default_factory=set)
    rescan: bool = False

    def __bool__(self) -> bool:
        return bool(self.paths) or self.rescan


class Batcher(FileSystemEventHandler):
    """Collects events (on watchdog's thread); :meth:`next_batch` hands them out debounced.

    :param quiet: seconds without events that close a small batch.
    :param burst_quiet: the same, once the batch holds more than *burst* paths.
    :param max_wait: a batch is closed after this long even if events keep coming.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        src: str,
        ignored: Callable[[str], bool],
        *,
        quiet: float = 0.008,
        burst_quiet: float = 0.15,
        burst: int = 8,
        max_wait: float = 2.0,
    ) -> None:
        self.src, self.ignored = os.path.realpath(src), ignored
        self.quiet, self.burst_quiet, self.burst, self.max_wait = (
            quiet,
            burst_quiet,
            burst,
            max_wait,
        )
        self._cond = threading.Condition()
        self._batch = Batch()
        self._last = 0.0

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _NOISE:
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        rels = [r for r in (self._relative(p) for p in paths if p) if r is not None]
        rels = [r for r in rels if not self._ignored(r, event.is_directory)]
        if not rels:
            return
        with self._cond:
            if event.is_directory and event.event_type != "modified":
                self._batch.rescan = True  # a subtree appeared, moved or vanished
            elif not event.is_directory:
                self._batch.paths.update(rels)
            else:
                return
            self._last = time.monotonic()
            self._cond.notify()

    def _relative(self, path: str | bytes) -> str | None:
        text = os.fsdecode(path)
        if not text.startswith(self.src + os.sep):
            return None
        return text[len(self.src) + 1 :].replace(os.sep, "/")

    def _ignored(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        if any(self.ignored("/".join(parts[: k + 1]) + "/") for k in range(len(parts) - 1)):
            return True
        return self.ignored(rel + "/" if is_dir else rel)

    def next_batch(self, stop: threading.Event, poll: float = 0.2) -> Batch | None:
        """Block until a batch has settled; None once *stop* is set."""
        with self._cond:
            while not self._batch:
                if stop.is_set():
                    return None
                self._cond.wait(poll)
            opened = time.monotonic()
            while not stop.is_set():
                quiet = self.burst_quiet if len(self._batch.paths) > self.burst else self.quiet
                now = time.monotonic()
                left = min(self._last + quiet - now, opened + self.max_wait - now)
                if left <= 0:
                    break
                self._cond.wait(left)
            batch, self._batch = self._batch, Batch()
            return batch

    def requeue(self, batch: Batch) -> None:
        """Put back a batch that could not be sent, merged with whatever came since."""
        with self._cond:
            self._batch.paths |= batch.paths
            self._batch.rescan |= batch.rescan
            self._cond.notify()
