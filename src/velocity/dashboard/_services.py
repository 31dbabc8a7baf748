"""What one dashboard serves: the graph of a repository, queue stores, agents' logs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from velocity.dashboard._graph import GraphService
from velocity.dashboard._graph import GraphSnapshot
from velocity.dashboard._logs import LogHub
from velocity.dashboard._queue import QueueMonitor

__all__ = ["Services"]


@dataclass
class Services:
    """The three products' services; ``None`` where the dashboard was given nothing."""

    graph: GraphService | None
    queues: QueueMonitor | None
    logs: LogHub
    closing: threading.Event = field(default_factory=threading.Event)
    """Set when the server stops: event streams end instead of holding it up."""
    _json: tuple[GraphSnapshot, dict[str, Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def graph_json(self, service: GraphService, refresh: bool = False) -> dict[str, Any]:
        # Laying out thousands of files is worth doing once per build of the graph.
        snapshot = service.snapshot(refresh=refresh)
        with self._lock:
            if self._json is None or self._json[0] is not snapshot:
                self._json = (snapshot, snapshot.to_json())
            return self._json[1]

    def close(self) -> None:
        self.closing.set()
        if self.queues is not None:
            self.queues.stop()
        self.logs.stop()
