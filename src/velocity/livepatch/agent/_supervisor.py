"""The supervisor: runs the app, reloads it after each batch, checks it, rolls back.

``livepatch-agent run -- CMD`` starts CMD and keeps one :class:`Supervisor` for the
root. After a batch commits, :meth:`Supervisor.after_batch` reloads the app with the
chosen strategy (:mod:`velocity.livepatch.reloaders`), then watches it for the grace
window: the app must not exit, and the health URL (if any) must answer 2xx within it.
If either fails, the batch is undone (:meth:`Engine.rollback`: exactly its files) and
the app reloaded again; the batch reply says so. An app that exits outside a grace
window is left down (the event is logged) until the next batch or rollback starts it.

The app's stdout and stderr go, line by line, to the :class:`LogRing` (and on to the
agent's own stdout and stderr, so container logs keep them); so do the events.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO

from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._logring import LogRing
from velocity.livepatch.proto import pb
from velocity.livepatch.reloaders import Reloader
from velocity.livepatch.reloaders import ReloadError
from velocity.livepatch.reloaders import spawn
from velocity.livepatch.reloaders import stop

__all__ = ["Supervisor"]

_POLL = 0.05


class _Child:
    """One run of the app: its process, and an event set when it exits."""

    def __init__(self, process: subprocess.Popen[bytes], ring: LogRing) -> None:
        self.process, self.exited = process, threading.Event()
        self._ring = ring
        assert process.stdout is not None
        assert process.stderr is not None
        self._pumps = [
            _thread(self._pump, process.stdout, "stdout", sys.stdout.buffer),
            _thread(self._pump, process.stderr, "stderr", sys.stderr.buffer),
        ]
        _thread(self._watch)

    def _pump(self, pipe: IO[bytes], stream: str, echo: IO[bytes]) -> None:
        for line in pipe:
            self._ring.append(stream, line.decode(errors="replace").rstrip("\r\n"))
            try:
                echo.write(line)
                echo.flush()
            except (OSError, ValueError):
                pass  # nobody reads the agent's own output: the ring still has it
        pipe.close()

    def _watch(self) -> None:
        code = self.process.wait()
        for pump in self._pumps:  # its last lines come before the event (unless a
            pump.join(0.2)  # grandchild holds the pipe open: crash detection must not wait)
        self._ring.event("exited", f"pid {self.process.pid} exited with {code}")
        self.exited.set()


class Supervisor:
    """Run *argv* below the agent of *engine*; one reload or rollback at a time.

    :param grace: seconds the app must survive a reload (and pass the health check in).
    :param health_url: polled after a reload; 2xx within *grace* is healthy.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        argv: Sequence[str],
        reloader: Reloader,
        engine: Engine,
        ring: LogRing,
        *,
        grace: float = 1.0,
        health_url: str | None = None,
    ) -> None:
        self.argv, self.reloader, self.engine, self.ring = list(argv), reloader, engine, ring
        self.grace, self.health_url = grace, health_url
        self._lock = threading.Lock()
        self._child: _Child | None = None

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.process.pid

    def start(self) -> None:
        """Start the app (:class:`~velocity.livepatch.reloaders.ReloadError` if it cannot)."""
        self._adopt(spawn(self.argv))

    def stop(self) -> int | None:
        """Stop the app (SIGTERM, then SIGKILL); returns its exit code."""
        with self._lock:
            if self._child is None:
                return None
            code = stop(self._child.process)
            self._child.exited.wait(2.0)
            return code

    def after_batch(self, paths: Sequence[str]) -> tuple[pb.ReloadResult, pb.RollbackReply | None]:
        """Reload after a committed batch of *paths*; roll it back if the app fails."""
        with self._lock:
            shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
            self.ring.event("applied", f"applied {len(paths)} changes: {shown}")
            result = self._reload_and_check()
            if result.ok:
                return result, None
            return result, self._rollback(result.detail)

    def rollback(self, reason: str = "on demand") -> pb.RollbackReply:
        """Undo the last batch and reload the app."""
        with self._lock:
            return self._rollback(reason)

    def _rollback(self, reason: str) -> pb.RollbackReply:
        started = time.perf_counter()
        undone = self.engine.rollback()
        if not undone.done:
            return pb.RollbackReply(rolled_back=False, reason=undone.reason, token=undone.token)
        self.ring.event("rolled_back", f"rolled back {len(undone.paths)} changes ({reason})")
        result = self._reload_and_check()
        return pb.RollbackReply(
            rolled_back=True,
            reason=reason,
            paths=undone.paths,
            reload=result,
            token=undone.token,
            seconds=time.perf_counter() - started,
        )

    def _reload_and_check(self) -> pb.ReloadResult:
        started = time.perf_counter()
        name = self.reloader.name
        try:
            detail = self._reload()
            failure = self._check(started)
        except ReloadError as exc:
            failure = str(exc)
        except Exception as exc:  # a plugin's bug: the batch landed, the reply must say so
            failure = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - started
        if failure is not None:
            self.ring.event("reloaded", f"reload ({name}) failed: {failure}")
            return pb.ReloadResult(
                strategy=name, ok=False, detail=failure, seconds=seconds, supervised=True
            )
        self.ring.event("reloaded", f"reloaded ({name}): {detail}")
        return pb.ReloadResult(
            strategy=name, ok=True, detail=detail, seconds=seconds, supervised=True
        )

    def _reload(self) -> str:
        assert self._child is not None
        old = self._child.process
        new = self.reloader.reload(old, self.argv)
        if new is old:
            return f"pid {old.pid}"
        self._adopt(new)
        return f"pid {new.pid}" if old.poll() is None else f"started pid {new.pid}"

    def _adopt(self, process: subprocess.Popen[bytes]) -> None:
        # The event first: the app's first lines must not come before it.
        self.ring.event("started", f"started pid {process.pid}: {shlex.join(self.argv)}")
        self._child = _Child(process, self.ring)

    def _check(self, started: float) -> str | None:
        # The app must live through the grace window; the health URL must pass within it.
        assert self._child is not None
        child, deadline = self._child, started + self.grace
        if self.health_url is None:
            if child.exited.wait(max(0.0, deadline - time.perf_counter())):
                return _died(child, self.grace)
            return None
        last = "no answer"
        while True:
            if child.exited.is_set():
                return _died(child, self.grace)
            ok, last = _probe(self.health_url, max(0.1, deadline - time.perf_counter()))
            if ok:
                return None
            if time.perf_counter() >= deadline:
                return f"{self.health_url} did not answer 2xx within {self.grace:g} s ({last})"
            child.exited.wait(_POLL * 2)


def _died(child: _Child, grace: float) -> str:
    return f"the app exited with {child.process.returncode} within the {grace:g} s grace window"


def _probe(url: str, timeout: float) -> tuple[bool, str]:
    # Imported on use: urllib.request (http.client, ssl, email) is a tenth of the agent's
    # start-up, and only an app with a health URL needs it.
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=min(timeout, 2.0)) as response:  # noqa: S310
            return 200 <= response.status < 300, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))


def _thread(target: object, *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
    thread.start()
    return thread
