"""Work done on a thread of its own, in the order it is handed over.

Both ends of a sync use it to overlap two halves of a pipeline: the client writes one
request while it encodes the next, the agent writes one part's temp files while it
decodes the next.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

__all__ = ["InOrder"]


class InOrder:
    """Runs the callables given to :meth:`submit` one after another on a background thread.

    The first error stops the work: whatever is queued after it is dropped, and the
    error is raised once in the caller's thread, by the next :meth:`submit` or by
    :meth:`finish`. At most *queued* callables wait; then :meth:`submit` blocks.

    .. versionadded:: 0.1
    """

    def __init__(self, name: str, *, queued: int) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue(queued)
        self._error: BaseException | None = None
        self._stopped = False  # after an error or cancel: run nothing more
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[], object]) -> None:
        """Queue *work*; raise the error of earlier work, if any."""
        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("work submitted after finish() or cancel()")
        self._queue.put(work)

    def finish(self) -> None:
        """Wait until everything submitted has run; raise the first error."""
        self._join()
        self._raise()

    def cancel(self) -> None:
        """Drop what has not run yet and wait for the thread (its error is dropped too)."""
        self._stopped = True
        self._join()
        self._error = None

    def _join(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while (work := self._queue.get()) is not None:
            if self._stopped:
                continue
            try:
                work()
            except BaseException as exc:  # raised again in the caller's thread
                self._error = exc
                self._stopped = True
