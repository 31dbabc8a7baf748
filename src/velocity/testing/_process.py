"""A server process with its log in a file, started on a free port with bounded waiting."""

from __future__ import annotations

import subprocess
import time
import weakref
from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from velocity.testing._ports import free_port

__all__ = ["LoggedProcess", "ManagedServer", "ServerStartError", "start_on_free_port"]

_TAIL_LINES = 25
_BIND_ATTEMPTS = 5


class ServerStartError(RuntimeError):
    """A test server did not start; the message carries the tail of its log.

    .. versionadded:: 0.1
    """


class _AddressInUse(ServerStartError):
    # Raised when the port was taken between free_port() and the server's bind.
    pass


def _reap(proc: subprocess.Popen[bytes]) -> None:
    # Last-resort cleanup (garbage collection or interpreter exit): never leave servers behind.
    if proc.poll() is None:
        proc.kill()
        proc.wait()


# stdout and stderr share one file that survives restarts; each process reads from its own offset.
class LoggedProcess:
    def __init__(self, argv: Sequence[str], log_path: Path, *, cwd: Path) -> None:
        self.log_path = log_path
        self._offset = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=cwd
            )
        self._finalizer = weakref.finalize(self, _reap, self.proc)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode("utf-8", errors="replace")

    def log_tail(self, lines: int = _TAIL_LINES) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._finalizer.detach()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._finalizer.detach()

    # Bounded: a server that dies or stays silent becomes an error that shows its log.
    def wait_ready(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                self._finalizer.detach()
                tail = self.log_tail()
                error = _AddressInUse if "Address already in use" in tail else ServerStartError
                raise error(f"{what} exited with status {self.proc.returncode}; log:\n{tail}")
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError(
                    f"{what} was not ready within {timeout:g} s; log:\n{self.log_tail()}"
                )
            time.sleep(0.01)


# A fixed *port* (a restart, which clients must find again) is never swapped for another.
def start_on_free_port(
    launch: Callable[[int], LoggedProcess],
    ready: Callable[[int], bool],
    *,
    listening: str,
    port: int | None,
    timeout: float,
    what: str,
) -> tuple[LoggedProcess, int]:
    for attempt in range(1, _BIND_ATTEMPTS + 1):
        chosen = free_port() if port is None else port
        try:
            return _launch_and_wait(launch, ready, chosen, listening, timeout, what), chosen
        except _AddressInUse:
            if port is not None or attempt == _BIND_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _launch_and_wait(
    launch: Callable[[int], LoggedProcess],
    ready: Callable[[int], bool],
    port: int,
    listening: str,
    timeout: float,
    what: str,
) -> LoggedProcess:
    process = launch(port)

    def answering() -> bool:
        # The *listening* log line proves this process holds the port: a server that took
        # the port in the meantime would answer *ready* just as well.
        return listening in process.log_text() and ready(port)

    try:
        process.wait_ready(answering, timeout, f"{what} on port {port}")
    except BaseException:
        process.kill()
        raise
    return process


class ManagedServer:
    # Shared lifecycle: subclasses provide start() and stop(); restart keeps the port.
    def start(self) -> None:
        raise NotImplementedError

    def stop(self, timeout: float = 10.0) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        """Stop (if running) and start again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
