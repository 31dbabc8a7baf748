"""Counters and gauges, rendered in the Prometheus text exposition format by hand."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping

__all__ = ["Metrics"]

_HELP = {
    "velocity_github_app_deliveries_total": ("counter", "Webhook deliveries by event and result."),
    "velocity_github_app_merges_total": ("counter", "Pull requests merged by the queue."),
    "velocity_github_app_ejections_total": ("counter", "Pull requests ejected from the queue."),
    "velocity_github_app_errors_total": (
        "counter",
        "Hints whose handling raised (retried by reconcile).",
    ),
    "velocity_github_app_queue_length": ("gauge", "Pull requests waiting in a repository's queue."),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


class Metrics:
    """Thread-safe counters, plus gauges read at scrape time from *gauges*.

    .. versionadded:: 0.1
    """

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self._lock = threading.Lock()
        self.gauges: Callable[[], Mapping[str, int]] = dict
        for name in ("velocity_github_app_merges_total", "velocity_github_app_ejections_total"):
            self._counts[(name, ())] = 0

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add *amount* to counter *name* with *labels*.

        .. versionadded:: 0.1
        """
        with self._lock:
            self._counts[(name, tuple(sorted(labels.items())))] += amount

    def value(self, name: str, **labels: str) -> int:
        """The current value of counter *name* with exactly *labels*.

        .. versionadded:: 0.1
        """
        with self._lock:
            return self._counts[(name, tuple(sorted(labels.items())))]

    def render(self) -> str:
        """Everything, in Prometheus text format 0.0.4.

        .. versionadded:: 0.1
        """
        with self._lock:
            counts = sorted(self._counts.items())
        lines: dict[str, list[str]] = {name: [] for name in _HELP}
        for (name, labels), value in counts:
            lines[name].append(f"{name}{_labels(labels)} {value}")
        gauge = "velocity_github_app_queue_length"
        for repo, length in sorted(self.gauges().items()):
            lines[gauge].append(f"{gauge}{_labels((('repo', repo),))} {length}")
        out: list[str] = []
        for name, (kind, text) in _HELP.items():
            out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *lines[name]]
        return "\n".join(out) + "\n"
