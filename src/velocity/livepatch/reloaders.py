"""Reload strategies: what the supervising agent does to the app after a patch lands.

``livepatch-agent run --reload SPEC`` picks one by its spec:

- ``signal:NAME`` sends a signal (``signal:HUP``, ``signal:USR1``, any name or number);
- ``restart`` stops the process (SIGTERM, then SIGKILL) and starts it again;
- ``exec:CMD`` runs ``CMD`` through the shell and waits for it (exit 0 is success);
- ``none`` does nothing: the app has its own reloader.

A plugin adds strategies through the ``livepatch_reloaders`` hook (name -> factory taking
what follows ``NAME:``). A dead process is started again whatever the strategy, so the
next patch brings back an app that crashed.

.. versionadded:: 0.2
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from velocity.core.errors import UsageError

__all__ = [
    "RELOADERS",
    "ReloadError",
    "ReloadOutcome",
    "Reloader",
    "make_reloader",
    "spawn",
    "stop",
]

EXEC_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class ReloadOutcome:
    """What one reload did.

    :param strategy: the reloader's name (``"signal:HUP"``, ``"restart"``, ...).
    :param ok: whether it succeeded (the health check comes after).
    :param detail: one line for people.
    :param seconds: how long it took.

    .. versionadded:: 0.2
    """

    strategy: str
    ok: bool
    detail: str
    seconds: float


class ReloadError(Exception):
    """A reload failed (a command exited non-zero, a signal could not be sent).

    .. versionadded:: 0.2
    """


class Reloader(Protocol):
    """A reload strategy.

    .. versionadded:: 0.2
    """

    name: str

    def reload(
        self, process: subprocess.Popen[bytes], argv: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        """Reload the app running as *process* (started from *argv*).

        :returns: the process to supervise afterwards (the same one, or a new one from
            :func:`spawn`).
        :raises ReloadError: the reload failed.
        """
        ...


def spawn(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start the app: its output piped (the supervisor streams it), in its own session.

    .. versionadded:: 0.2
    """
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a restart can stop the app's whole process group
        )
    except OSError as exc:
        raise ReloadError(f"cannot start {argv[0]!r}: {exc.strerror}") from None


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> int:
    """Stop *process* and its process group: SIGTERM, then SIGKILL after *timeout*.

    .. versionadded:: 0.2
    """
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
    return process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


class SignalReloader:
    """``signal:NAME``: send the app a signal."""

    def __init__(self, signum: signal.Signals) -> None:
        self.signum = signum
        self.name = f"signal:{signum.name.removeprefix('SIG')}"

    def reload(
        self, process: subprocess.Popen[bytes], argv: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        if process.poll() is not None:
            return spawn(argv)
        try:
            process.send_signal(self.signum)
        except OSError as exc:
            raise ReloadError(f"cannot send {self.signum.name}: {exc.strerror}") from None
        return process


class RestartReloader:
    """``restart``: stop the app, start it again."""

    name = "restart"

    def reload(
        self, process: subprocess.Popen[bytes], argv: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        stop(process)
        return spawn(argv)


class ExecReloader:
    """``exec:CMD``: run a command (``sh -c CMD``) and wait for it."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.name = f"exec:{command}"

    def reload(
        self, process: subprocess.Popen[bytes], argv: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        if process.poll() is not None:
            return spawn(argv)
        try:
            done = subprocess.run(
                ["/bin/sh", "-c", self.command],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=EXEC_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ReloadError(f"{self.command!r} ran longer than {EXEC_TIMEOUT:g} s") from None
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise ReloadError(f"{self.command!r} exited {done.returncode}: {' '.join(tail)}")
        return process


class NoReloader:
    """``none``: the app notices changed files by itself."""

    name = "none"

    def reload(
        self, process: subprocess.Popen[bytes], argv: Sequence[str]
    ) -> subprocess.Popen[bytes]:
        if process.poll() is not None:
            return spawn(argv)
        return process


def _signal(arg: str) -> Reloader:
    name = arg.strip().upper()
    try:
        signum = (
            signal.Signals(int(name))
            if name.isdigit()
            else signal.Signals[name if name.startswith("SIG") else f"SIG{name}"]
        )
    except (KeyError, ValueError):
        raise UsageError(f"unknown signal {arg!r} in --reload signal:{arg}") from None
    return SignalReloader(signum)


def _exec(arg: str) -> Reloader:
    if not arg.strip():
        raise UsageError("--reload exec:CMD needs a command after 'exec:'")
    return ExecReloader(arg)


def _restart(arg: str) -> Reloader:
    return RestartReloader()


def _none(arg: str) -> Reloader:
    return NoReloader()


Factory = Callable[[str], Reloader]
RELOADERS: dict[str, Factory] = {
    "signal": _signal,
    "restart": _restart,
    "exec": _exec,
    "none": _none,
}


def make_reloader(spec: str) -> Reloader:
    """The reloader a ``--reload`` spec names (``signal:HUP``, ``restart``, ``exec:CMD``, ``none``).

    :raises UsageError: unknown strategy or bad argument (one line).

    .. versionadded:: 0.2
    """
    name, _, arg = spec.partition(":")
    factories: Mapping[str, Callable[[str], object]] = {**_plugin_reloaders(), **RELOADERS}
    factory = factories.get(name.strip())
    if factory is None:
        known = ", ".join(
            sorted(n + (":ARG" if n in ("signal", "exec") else "") for n in factories)
        )
        raise UsageError(f"unknown reload strategy {spec!r}; use one of {known}")
    if name in ("restart", "none") and arg:
        raise UsageError(f"--reload {name} takes no argument, not {spec!r}")
    reloader = factory(arg)
    if not callable(getattr(reloader, "reload", None)):
        raise UsageError(f"the {name!r} reload plugin returned {type(reloader).__name__}")
    return reloader  # type: ignore[return-value]


def _plugin_reloaders() -> Mapping[str, Callable[[str], object]]:
    try:
        from velocity.livepatch.plugins import get_plugin_manager
        from velocity.livepatch.plugins import merged
    except ImportError:  # shipped alone into a container, without pluggy
        return {}
    return merged(get_plugin_manager().hook.livepatch_reloaders())
