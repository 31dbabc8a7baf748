"""A real ``redis-server`` on a free loopback port, for tests that need Redis."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from velocity.testing._binaries import require_binary
from velocity.testing._ports import LOOPBACK
from velocity.testing._ports import probe
from velocity.testing._process import LoggedProcess
from velocity.testing._process import ManagedServer
from velocity.testing._process import start_on_free_port

__all__ = ["RedisServer"]


class RedisServer(ManagedServer):
    """A ``redis-server`` process of its own on ``127.0.0.1`` and a free port.

    Nothing is saved unless *persistence* is true; then every write goes to an
    append-only file in *workdir* with ``appendfsync always``, so the data survives
    :meth:`restart` and even :meth:`kill`. The port is chosen on the first
    :meth:`start` and kept by later starts, so clients reconnect to the same URL.

    :param workdir: a directory for this server alone (config, log, data); created if missing.
    :param persistence: keep data across restarts through an fsync'ed AOF.
    :param startup_timeout: seconds to wait for ``PING`` to answer.
    :param extra_config: more ``redis.conf`` lines, appended after the defaults so that
        they win (e.g. ``"hz 10"`` to undo the faster tick chosen for quick shutdowns).

    Use it as a context manager (start on enter, stop on exit) or call
    :meth:`start` and :meth:`stop`.

    .. versionadded:: 0.1
    """

    host = LOOPBACK

    def __init__(
        self,
        workdir: Path,
        *,
        persistence: bool = False,
        startup_timeout: float = 10.0,
        extra_config: Sequence[str] = (),
    ) -> None:
        self.workdir = Path(workdir).absolute()
        self.persistence = persistence
        self.startup_timeout = startup_timeout
        self.extra_config = tuple(extra_config)
        self.config_path = self.workdir / "redis.conf"
        self.log_path = self.workdir / "redis.log"
        self._port: int | None = None
        self._process: LoggedProcess | None = None

    @property
    def port(self) -> int:
        """The TCP port, fixed by the first :meth:`start`."""
        if self._port is None:
            raise RuntimeError("RedisServer has no port before its first start()")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, for ``redis.Redis.from_url``."""
        return f"redis://{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.running

    @property
    def pid(self) -> int:
        """The process id of the running server."""
        if self._process is None:
            raise RuntimeError("RedisServer is not running")
        return self._process.proc.pid

    def start(self) -> None:
        """Start the server and wait until it answers ``PING``.

        :raises ServerStartError: with the tail of the log if it exits or stays silent.
        """
        if self.running:
            return
        binary = require_binary("redis-server", "redis-server")
        self.workdir.mkdir(parents=True, exist_ok=True)

        def launch(port: int) -> LoggedProcess:
            self.config_path.write_text(self._config(port), encoding="utf-8")
            return LoggedProcess([binary, str(self.config_path)], self.log_path, cwd=self.workdir)

        self._process, self._port = start_on_free_port(
            launch,
            _answers_ping,
            listening="Ready to accept connections",
            port=self._port,
            timeout=self.startup_timeout,
            what="redis-server",
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop with SIGTERM, then SIGKILL if it has not exited after *timeout* seconds."""
        if self._process is not None:
            self._process.stop(timeout)
            self._process = None

    def kill(self) -> None:
        """Kill with SIGKILL, as a crash would: no shutdown, no final save."""
        if self._process is not None:
            self._process.kill()
            self._process = None

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "-"
        return f"<RedisServer {self.host}:{port} running={self.running}>"

    def _config(self, port: int) -> str:
        lines = [
            f"bind {self.host}",
            f"port {port}",
            "daemonize no",
            'logfile ""',
            f"dir {_quote(self.workdir)}",
            'save ""',
            # SIGTERM is handled on the next server tick: at 100 Hz a stop takes ~15 ms, not ~110.
            "hz 100",
        ]
        if self.persistence:
            lines += ["appendonly yes", "appendfsync always"]
        else:
            lines += ["appendonly no"]
        return "\n".join([*lines, *self.extra_config, ""])


def _quote(path: Path) -> str:
    # redis.conf reads backslash escapes inside double quotes.
    text = str(path).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _answers_ping(port: int) -> bool:
    # A loading server replies -LOADING; only +PONG means it serves commands.
    return probe(LOOPBACK, port, b"PING\r\n") == b"+PONG"
