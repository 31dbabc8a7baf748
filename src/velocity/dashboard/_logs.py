"""Product B's view: the output of the processes LivePatch agents supervise, and their events.

A :data:`LogSource` turns a target URL into a stream of log events shaped like
``velocity.livepatch.client.LogEvent`` (``time``, ``stream``, ``text``, ``kind``). Each
configured agent gets a thread that follows its source into a bounded buffer, reconnecting
when the stream ends or fails; handlers and event streams read the buffers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from velocity.core.errors import VelocityError
from velocity.livepatch.client import ConnectOptions

__all__ = ["LogHub", "LogLine", "LogSource", "LogsUnavailable", "livepatch_source"]

LogSource = Callable[[str, threading.Event], Iterable[Any]]
"""(target URL, stop) -> its log events, following new ones until the process or connection
ends, or *stop* is set (the dashboard is closing).

Events need ``time``, ``stream``, ``text`` and ``kind`` attributes, like
``velocity.livepatch.client.LogEvent``.

.. versionadded:: 0.3
"""

KEEP = 5000  # lines each agent's buffer keeps
_STREAMS = ("stdout", "stderr", "event")


class LogsUnavailable(VelocityError):
    """The installed LivePatch client cannot stream an agent's logs."""


@dataclass(frozen=True)
class LogLine:
    """One log event as the API shows it; *seq* counts per agent from 1.

    .. versionadded:: 0.3
    """

    seq: int
    time: float
    stream: str
    text: str
    kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def livepatch_source(options: ConnectOptions | None = None) -> LogSource:
    """The log source backed by ``velocity.livepatch.client.stream_logs``."""

    def stream(target: str, stop: threading.Event) -> Iterable[Any]:
        try:
            from velocity.livepatch.client import stream_logs
        except ImportError:
            raise LogsUnavailable(
                "this Velocity's LivePatch client cannot stream agent logs yet"
            ) from None
        events: Iterable[Any] = stream_logs(target, follow=True, options=options, stop=stop)
        return events

    return stream


class _Agent:
    def __init__(self, target: str) -> None:
        self.target = target
        self.lines: deque[LogLine] = deque(maxlen=KEEP)
        self.seq = 0
        self.status = "connecting"
        self.error: str | None = None

    def add(self, event: Any) -> bool:
        stream = str(getattr(event, "stream", "stdout"))
        kind = getattr(event, "kind", None)
        line = LogLine(
            seq=self.seq + 1,
            time=float(getattr(event, "time", time.time())),
            stream=stream if stream in _STREAMS else "stdout",
            text=str(getattr(event, "text", "")),
            kind=None if kind is None else str(kind),
        )
        if self._seen(line):
            return False
        self.seq += 1
        self.lines.append(line)
        return True

    def _seen(self, line: LogLine) -> bool:
        # A reconnection replays the agent's recent history: keep what is new only.
        if not self.lines or line.time > self.lines[-1].time:
            return False
        if line.time < self.lines[-1].time:
            return True
        same = (line.time, line.stream, line.text)
        return any((old.time, old.stream, old.text) == same for old in list(self.lines)[-50:])

    def to_json(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "target": self.target,
            "status": self.status,
            "error": self.error,
            "last_seq": self.seq,
        }


class LogHub:
    """Follows every agent in *targets* through *source* once :meth:`ensure_started` runs.

    :param retry: seconds between reconnections after a stream ended or failed.
    """

    def __init__(self, targets: Sequence[str], source: LogSource, *, retry: float = 2.0) -> None:
        self.agents = [_Agent(t) for t in targets]
        self.source = source
        self.retry = retry
        self.version = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def ensure_started(self) -> None:
        with self._lock:
            if self._threads or not self.agents:
                return
            for agent in self.agents:
                thread = threading.Thread(
                    target=self._follow, args=(agent,), name="dashboard-logs", daemon=True
                )
                self._threads.append(thread)
                thread.start()

    def stop(self) -> None:
        self._stop.set()

    def agents_json(self) -> list[dict[str, Any]]:
        self.ensure_started()
        with self._lock:
            return [agent.to_json(i) for i, agent in enumerate(self.agents)]

    def agent(self, index: int) -> dict[str, Any] | None:
        if not 0 <= index < len(self.agents):
            return None
        with self._lock:
            return self.agents[index].to_json(index)

    def lines(self, index: int, after: int = 0, limit: int = 1000) -> list[LogLine]:
        self.ensure_started()
        with self._lock:
            found = [line for line in self.agents[index].lines if line.seq > after]
        return found[-limit:] if after == 0 else found[:limit]

    def _set(self, agent: _Agent, status: str, error: str | None = None) -> None:
        with self._lock:
            agent.status, agent.error = status, error
            self.version += 1

    def _follow(self, agent: _Agent) -> None:
        while not self._stop.is_set():
            try:
                events = iter(self.source(agent.target, self._stop))
                self._set(agent, "streaming")
                for event in events:
                    with self._lock:
                        if agent.add(event):
                            self.version += 1
                    if self._stop.is_set():
                        return
                self._set(agent, "ended")
            except Exception as exc:  # unreachable agent, refused certificate: shown, retried
                message = exc.message if isinstance(exc, VelocityError) else str(exc)
                self._set(agent, "error", message or type(exc).__name__)
            self._stop.wait(self.retry)
