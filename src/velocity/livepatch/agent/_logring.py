"""A bounded in-memory ring of the supervised app's output lines and the agent's events.

``logs`` without ``-f`` prints what the ring holds; followers wait on its condition for
records newer than the last one they saw. Memory stays bounded whatever the app prints.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["KEEP", "LogRing", "Record"]

KEEP = 5000
MAX_LINE = 16 * 1024  # a longer "line" (binary output, no newline) is cut


@dataclass(frozen=True)
class Record:
    seq: int
    time: float
    stream: str  # "stdout", "stderr", "event"
    text: str
    kind: str = ""


class LogRing:
    """The last *keep* records; safe to append to and read from any thread."""

    def __init__(self, keep: int = KEEP, on_event: Callable[[Record], None] | None = None) -> None:
        self._on_event = on_event
        self._records: deque[Record] = deque(maxlen=keep)
        self._seq = itertools.count()
        self._changed = threading.Condition()

    def append(self, stream: str, text: str, kind: str = "") -> Record:
        with self._changed:
            record = Record(next(self._seq), time.time(), stream, text[:MAX_LINE], kind)
            self._records.append(record)
            self._changed.notify_all()
        return record

    def event(self, kind: str, text: str) -> Record:
        record = self.append("event", text, kind)
        if self._on_event is not None:
            self._on_event(record)
        return record

    def history(self, lines: int = 0) -> list[Record]:
        with self._changed:
            records = list(self._records)
        return records[-lines:] if lines else records

    def follow(
        self, after: int, alive: Callable[[], bool], tick: float = 1.0
    ) -> Iterator[Record | None]:
        """Records with ``seq > after`` as they come; ``None`` every *tick* idle seconds
        (the caller's chance to notice its client left), until *alive* says stop."""
        while alive():
            with self._changed:
                fresh = self._after(after)
                if not fresh:
                    self._changed.wait(tick)
                    fresh = self._after(after)
            if not fresh:
                yield None
                continue
            after = fresh[-1].seq
            yield from fresh

    def _after(self, seq: int) -> list[Record]:
        # Sequence numbers are consecutive, so the first fresh record's index is known.
        if not self._records or self._records[-1].seq <= seq:
            return []
        start = max(0, seq + 1 - self._records[0].seq)
        return list(itertools.islice(self._records, start, None))
