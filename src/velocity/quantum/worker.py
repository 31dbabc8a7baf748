"""A build worker: take jobs from the store, run them with an executor, report the results.

Run any number of workers, on any machines that share the store. A job is
acknowledged only after its result was applied, so a worker killed mid-build
leaves its job pending; another worker takes it over after *reclaim_after_ms*.
Results are idempotent in the scheduler: a job that runs twice merges once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Callable

from velocity.core.errors import VelocityError
from velocity.quantum.executors.protocol import Executor
from velocity.quantum.localqueue import LocalQueue
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Event
from velocity.quantum.model import Timeout
from velocity.quantum.store.protocol import Claim

__all__ = ["MAX_ATTEMPTS", "Worker", "default_worker_name"]

MAX_ATTEMPTS = 3
"""Times a job is handed out before it is reported as a CI ``error`` instead of run again.

A job whose worker died (killed, or crashed on it) is reclaimed; this bounds the loop.

.. versionadded:: 0.2
"""


def default_worker_name() -> str:
    """``host-pid``: unique per process, stable for its lifetime.

    .. versionadded:: 0.1
    """
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """Runs the jobs of *queue*'s store with *executor*.

    :param reclaim_after_ms: take over another worker's job once it is idle this long.
    :param poll_interval: seconds between checks on a running build.
    :param timeout: seconds a build may run before it is stopped and reported as
        a :class:`~velocity.quantum.model.Timeout` (``None``: no limit).

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        queue: LocalQueue,
        executor: Executor,
        name: str | None = None,
        *,
        reclaim_after_ms: int = 60_000,
        poll_interval: float = 0.05,
        timeout: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.store = queue.store
        self.executor = executor
        self.name = name or default_worker_name()
        self.reclaim_after_ms = reclaim_after_ms
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.clock = clock

    def run_once(self) -> int:
        """Run jobs until none is waiting; return how many ran.

        .. versionadded:: 0.1
        """
        done = 0
        while True:
            self.queue.sync()
            claims = self.store.reclaim(self.name, self.reclaim_after_ms)
            if not claims:
                claim = self.store.claim(self.name)
                claims = [claim] if claim else []
            if not claims:
                return done
            for claim in claims:
                self._run(claim)
                done += 1

    def run_forever(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Keep running jobs, idling between them, until *should_stop* says so.

        .. versionadded:: 0.1
        """
        while not should_stop():
            if not self.run_once():
                time.sleep(self.poll_interval * 4)

    def _run(self, claim: Claim) -> None:
        build_id = claim.job.build_id
        if not self.store.is_cancelled(build_id):
            if claim.attempts > MAX_ATTEMPTS:
                # Every earlier attempt died with its worker: charge it as a CI error.
                events: list[Event] = [BuildFinished(build_id, "error")]
            else:
                events = self._guarded(claim)
            for event in events:
                self.queue.apply(event)
        self.store.ack(claim)

    def _guarded(self, claim: Claim) -> list[Event]:
        # An executor that raises must not take the worker (and, reclaimed, the next) down.
        try:
            return self._build(claim)
        except (VelocityError, OSError, subprocess.SubprocessError):
            with contextlib.suppress(VelocityError, OSError, subprocess.SubprocessError):
                self.executor.cancel(claim.job.build_id)
            return [BuildFinished(claim.job.build_id, "error")]

    def _build(self, claim: Claim) -> list[Event]:
        build_id = claim.job.build_id
        started = self.clock()
        self.executor.start(claim.job, started)
        while True:
            events = self.executor.poll(self.clock())
            if events:
                return events
            if self.store.is_cancelled(build_id):
                self.executor.cancel(build_id)
                return []
            if self.timeout is not None and self.clock() - started > self.timeout:
                self.executor.cancel(build_id)
                return [Timeout(build_id)]
            time.sleep(self.poll_interval)
