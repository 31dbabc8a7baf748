"""Product C's view: every queue's PRs, its speculative builds as a tree, its history.

One thread owns the store connections (SQLite's belong to the thread that opened them)
and polls them; handlers only read its last snapshot, and ``version`` tells streams that
something changed. The history's reasons are the store's; only a record an older
Velocity wrote without one gets a guess, worked out while the dashboard watched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from velocity.dashboard._reasons import infer_reasons
from velocity.dashboard._stores import QueueRef
from velocity.dashboard._stores import discover
from velocity.dashboard._stores import redact
from velocity.quantum import Build
from velocity.quantum import FinalRecord
from velocity.quantum import QueueState
from velocity.quantum import Store
from velocity.quantum import StoreError
from velocity.quantum import build_tail

__all__ = ["QueueMonitor"]

HISTORY_SHOWN = 200  # most recent final states a queue's JSON carries


class _Queue:
    # One queue's connection, last state, stored history and guesses for unrecorded reasons.
    def __init__(self, ref: QueueRef) -> None:
        self.ref = ref
        self.store: Store | None = None
        self.state: QueueState | None = None
        self.history: list[FinalRecord] = []
        self.guesses: dict[int, str] = {}  # history index -> reason, where none is stored
        self.error: str | None = None

    def poll(self) -> bool:
        # True when anything visible changed.
        try:
            state = self._load()
            changed = state is not self.state or self.error is not None
            if state is not None and state is not self.state:
                self._follow(state)
            self.state, self.error = state, None
            return changed
        except Exception as exc:  # a dead Redis, a locked file: shown, retried next poll
            message = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__}: {exc}"
            self.close()
            changed, self.error = self.error != message, message
            return changed

    def _load(self) -> QueueState | None:
        if self.store is None:
            self.store = self.ref.open()
        try:
            return self.store.load()
        except StoreError as exc:
            if "no merge queue" not in str(exc):
                raise
            return None  # nothing enqueued yet

    def _follow(self, state: QueueState) -> None:
        # Read the history only when it grew; guess only where an older writer left no reason.
        old = self.state
        if old is not None and self.history and state.finished_total == old.finished_total:
            return
        assert self.store is not None
        history = self.store.history()
        start = len(self.history)
        if len(history) < start:  # a new store in the old one's place
            start, self.guesses = 0, {}
        new = history[start:]
        if old is not None and any(r.reason is None for r in new):
            guesses = infer_reasons(old, state, [(r.pr, r.final) for r in new])
            for i, (record, guess) in enumerate(zip(new, guesses, strict=True)):
                if record.reason is None:
                    self.guesses[start + i] = guess
        self.history = history

    def close(self) -> None:
        if self.store is not None:
            try:
                self.store.close()
            finally:
                self.store = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.ref.name,
            "backend": self.ref.backend,
            "location": redact(self.ref.location),
            "error": self.error,
            "exists": self.state is not None,
        }
        return out | _state_json(self.state, self.history, self.guesses)


def _state_json(
    state: QueueState | None, history: list[FinalRecord], guesses: dict[int, str]
) -> dict[str, Any]:
    if state is None:
        return {"base_sha": None, "landed": [], "entries": [], "builds": [], "tree": [],
                "history": [], "finished_total": 0}  # fmt: skip
    entries = _entries_json(state)
    shown = list(enumerate(history))[-HISTORY_SHOWN:][::-1]
    return {
        "base_sha": state.base_sha,
        "landed": [{"pr": pr, "head": sha} for pr, sha in state.landed],
        "entries": entries,
        "builds": [_build_json(state, b) for b in state.builds],
        "tree": _tree(state),
        "history": [_final_json(i, r, guesses.get(i)) for i, r in shown],
        "finished_total": max(state.finished_total, len(history)),
    }


def _final_json(index: int, r: FinalRecord, guess: str | None) -> dict[str, Any]:
    return {
        "index": index,
        "pr": r.pr,
        "final": r.final,
        "reason": r.reason if r.reason is not None else guess,
        "recorded": r.reason is not None,
        "at": r.at,
        "sha": r.sha,
    }


def _by_length(state: QueueState) -> dict[int, Build]:
    # Builds of exactly the first N queued PRs, by N: what each queue row waits for.
    queued = tuple(e.pr for e in state.queue)
    out: dict[int, Build] = {}
    for b in state.builds:
        tail = build_tail(state, b)
        if tail and tail == queued[: len(tail)]:
            out[len(tail)] = b
    return out


def _entries_json(state: QueueState) -> list[dict[str, Any]]:
    by_length = _by_length(state)
    entries = []
    for index, entry in enumerate(state.queue):
        build = by_length.get(index + 1)
        entries.append(
            {
                "position": index + 1,
                "pr": entry.pr,
                "head": entry.head_sha,
                "priority": entry.priority,
                "retries": entry.retries,
                "errors": entry.errors,
                "build": build.build_id if build else None,
                "build_status": build.status if build else None,
            }
        )
    return entries


def _tail(state: QueueState, b: Build) -> tuple[tuple[int, ...], bool]:
    tail = build_tail(state, b)
    if tail is not None:
        return tail, False
    return tuple(pr for pr, _ in b.prs[len(state.landed) :]) or tuple(pr for pr, _ in b.prs), True


def _build_json(state: QueueState, b: Build) -> dict[str, Any]:
    tail, stale = _tail(state, b)
    return {
        "id": b.build_id,
        "prs": [pr for pr, _ in b.prs],
        "tail": list(tail),
        "status": b.status,
        "stale": stale,
        "base_sha": b.base_sha,
    }


def _tree(state: QueueState) -> list[dict[str, Any]]:
    # A node per PR sequence on top of the landed chain; a build sits on the node of its PRs.
    root: dict[str, Any] = {"children": {}}
    for b in state.builds:
        tail, stale = _tail(state, b)
        node = root
        for pr in tail:
            node = node["children"].setdefault(pr, {"pr": pr, "builds": [], "children": {}})
        if node is not root:
            node["builds"].append({"id": b.build_id, "status": b.status, "stale": stale})

    def freeze(children: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"pr": n["pr"], "builds": n["builds"], "children": freeze(n["children"])}
            for n in children.values()
        ]

    return freeze(root["children"])


class QueueMonitor:
    """Polls the queues at *location* every *interval* seconds in a thread of its own.

    :param location: a ``redis://`` URL, a SQLite file or a directory of SQLite files.
    :param must_exist: a missing SQLite path is an error rather than "no queues yet".
    :raises StoreError: at construction, when *location* is malformed or unreachable.
    """

    def __init__(self, location: str, *, must_exist: bool = True, interval: float = 0.3) -> None:
        self.location = location
        self.must_exist = must_exist
        self.interval = interval
        discover(location, must_exist=must_exist)  # fail now, not in a page
        self.version = 0
        self._queues: dict[str, _Queue] = {}
        self._error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[], None]] = []

    def ensure_started(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="dashboard-queues", daemon=True
                )
                self._thread.start()
        self._ready.wait(timeout=10)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def snapshot(self) -> dict[str, Any]:
        self.ensure_started()
        with self._lock:
            return {
                "version": self.version,
                "location": redact(self.location),
                "error": self._error,
                "queues": [queue.to_json() for queue in self._queues.values()],
            }

    def _run(self) -> None:
        rediscover = 0.0
        try:
            while not self._stop.is_set():
                if time.monotonic() >= rediscover:
                    self._discover()
                    rediscover = time.monotonic() + 5
                with self._lock:
                    queues = list(self._queues.values())
                changed = [queue.poll() for queue in queues]
                if any(changed):
                    with self._lock:
                        self.version += 1
                self._ready.set()
                self._stop.wait(self.interval)
        finally:
            for queue in self._queues.values():
                queue.close()

    def _discover(self) -> None:
        try:
            refs = discover(self.location, must_exist=self.must_exist)
            error = None
        except StoreError as exc:
            refs, error = [], exc.message
        with self._lock:
            for ref in refs:
                if ref.name not in self._queues:
                    self._queues[ref.name] = _Queue(ref)
                    self.version += 1
            if error != self._error:
                self._error = error
                self.version += 1
