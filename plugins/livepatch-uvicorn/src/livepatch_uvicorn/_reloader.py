"""The reloader itself: SIGHUP for gunicorn, restart-and-wait for uvicorn."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Self
from urllib.parse import urlsplit

from livepatch_uvicorn._server import Listen
from livepatch_uvicorn._server import children
from livepatch_uvicorn._server import is_gunicorn
from livepatch_uvicorn._server import listen_from_argv
from velocity.core.errors import UsageError
from velocity.livepatch.reloaders import ReloadError
from velocity.livepatch.reloaders import spawn
from velocity.livepatch.reloaders import stop

__all__ = ["UvicornReloader"]

_POLL = 0.02


class UvicornReloader:
    """Reload a uvicorn app, or a gunicorn master's workers, and wait until it serves again.

    :param listen: where to check readiness (default: from the app's command line).
    :param health: a URL that must answer 2xx before the reload counts as done.
    :param timeout: seconds to wait for readiness.

    After each reload :attr:`last_detail` says what was done and how long readiness took.

    .. versionadded:: 0.1
    """

    name = "uvicorn"

    def __init__(
        self, listen: Listen | None = None, health: str | None = None, timeout: float = 30.0
    ) -> None:
        self.listen, self.health, self.timeout = listen, health, timeout
        self.last_detail = ""
        self.last_seconds = 0.0

    @classmethod
    def from_arg(cls, arg: str) -> Self:
        """``""``, ``PORT``, ``HOST:PORT`` or ``http://HOST:PORT/PATH`` (a health URL)."""
        arg = arg.strip()
        try:
            if arg.startswith(("http://", "https://")):
                parts = urlsplit(arg)
                port = parts.port or (443 if parts.scheme == "https" else 80)
                return cls(Listen(parts.hostname or "127.0.0.1", port), health=arg)
            if arg:
                host, _, number = arg.rpartition(":")
                return cls(Listen(host or "127.0.0.1", int(number)))
        except ValueError:
            pass
        else:
            return cls()
        raise UsageError(f"--reload uvicorn:{arg}: want PORT, HOST:PORT or http://HOST:PORT/PATH")

    def reload(
        self, process: subprocess.Popen[bytes], argv: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        started = time.perf_counter()
        listen = self.listen or listen_from_argv(argv)
        if process.poll() is None and is_gunicorn(argv):
            workers = self._hup(process)
            what = f"gunicorn pid {process.pid}: SIGHUP, {workers} worker(s) replaced"
            self._wait_ready(process, listen, started)
        else:
            stop(process)
            process = spawn(argv)
            what = f"uvicorn restarted as pid {process.pid}"
            try:
                self._wait_ready(process, listen, started)
            except ReloadError as exc:
                raise ReloadError(f"{exc}{_discard(process)}") from None
        self.last_seconds = time.perf_counter() - started
        self.last_detail = f"{what}, serving again after {self.last_seconds * 1000:.0f} ms"
        return process

    def _hup(self, master: subprocess.Popen[bytes]) -> int:
        # Graceful: the master starts new workers and retires the old ones after their requests.
        old = children(master.pid)
        master.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + self.timeout
        while True:
            now = children(master.pid)
            if len(now) >= max(1, len(old)) and not now & old:
                return len(old)
            if master.poll() is not None:
                raise ReloadError(f"gunicorn exited with {master.returncode} after SIGHUP")
            if time.monotonic() > deadline:
                raise ReloadError(f"gunicorn kept its old workers {self.timeout:g} s after SIGHUP")
            time.sleep(_POLL)

    def _wait_ready(self, process: subprocess.Popen[bytes], listen: Listen, t0: float) -> None:
        deadline = t0 + self.timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise ReloadError(f"the app exited with {process.returncode} while starting")
            ok, last = self._probe(listen)
            if ok:
                return
            time.sleep(_POLL)
        where = self.health or f"{listen.host}:{listen.port}"
        raise ReloadError(f"{where} not ready {self.timeout:g} s after the reload ({last})")

    def _probe(self, listen: Listen) -> tuple[bool, str]:
        if self.health is None:
            try:
                with socket.create_connection((listen.host, listen.port), timeout=1.0):
                    return True, "connected"
            except OSError as exc:
                return False, exc.strerror or str(exc)
        try:
            with urllib.request.urlopen(self.health, timeout=2.0) as response:  # noqa: S310
                return 200 <= response.status < 300, f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            return False, str(getattr(exc, "reason", exc))


def _discard(process: subprocess.Popen[bytes]) -> str:
    # A new process that never became ready is ours to clean up; its last words explain why.
    stop(process)
    last = ""
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            lines = pipe.read().decode(errors="replace").strip().splitlines()
            last = lines[-1] if lines else last
            pipe.close()
    return f": {last}" if last else ""
