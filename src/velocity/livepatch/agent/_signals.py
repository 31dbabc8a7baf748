"""Wait in the main thread for SIGTERM or SIGINT, whichever thread the kernel hands it to.

Python runs signal handlers in the main thread only, and only once that thread wakes up.
The kernel may deliver a process-directed signal to any thread that does not block it;
when it picks one of the agent's worker threads while the main thread sleeps in a lock
(``threading.Event.wait()``), nothing wakes the main thread and the agent never stops.
The C-level handler always writes to the wakeup fd, from whichever thread it runs in, so
the main thread sleeps in ``select`` on that fd instead.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from types import FrameType
from types import TracebackType
from typing import Self

__all__ = ["StopSignals"]

STOP = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """Within the block, :meth:`wait` blocks until one of *signums* arrives.

    Handlers and the wakeup fd are restored on exit (tests run the agent in-process).
    """

    def __init__(self, signums: tuple[signal.Signals, ...] = STOP) -> None:
        self.signums = signums

    def __enter__(self) -> Self:
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._previous = {signum: signal.signal(signum, _noop) for signum in self.signums}
        return self

    def wait(self) -> signal.Signals:
        """Block until a stop signal arrives; returns it."""
        # The wakeup fd carries each signal's number: no race with the Python-level handler.
        while True:
            select.select([self._read], [], [])
            with contextlib.suppress(BlockingIOError):
                for number in os.read(self._read, 512):
                    if number in self.signums:
                        return signal.Signals(number)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._read)
        os.close(self._write)


def _noop(signum: int, frame: FrameType | None) -> None:
    # A Python-level handler must be set for the C handler to write to the wakeup fd.
    pass
