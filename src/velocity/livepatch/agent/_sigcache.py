"""Block signatures of files the agent holds, kept by content hash across agent runs.

Computing a signature reads the whole file; a client asking about the version it
last sent (by hash) gets the stored one without a read. A stale entry does no
harm: the delta's basis hash is checked again when it is applied.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable

from velocity.livepatch.agent._durable import read_small
from velocity.livepatch.agent._durable import write_small
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._paths import open_dir
from velocity.livepatch.proto import pb

__all__ = ["PRECOMPUTE_MIN", "Precomputer", "SignatureCache"]

_DIR = "signatures-v2"  # block checksums changed with protocol 2
_KEEP = 256
PRECOMPUTE_MIN = 64 * 1024  # the client sends smaller files whole, never as deltas


_LEGACY = "signatures"  # protocol 1's, with other block checksums


class SignatureCache:
    def __init__(self, state_fd: int) -> None:
        self._fd = open_dir(state_fd, (_DIR,), create=True)
        _remove_flat_dir(state_fd, _LEGACY)

    def get(self, sha256: bytes) -> pb.FileSignature | None:
        if len(sha256) != 32:
            return None
        try:
            raw = read_small(self._fd, sha256.hex())
        except FileNotFoundError:
            return None
        message = pb.FileSignature()
        message.ParseFromString(raw)
        return message if message.sha256 == sha256 else None

    def put(self, sha256: bytes, message: pb.FileSignature) -> None:
        # A cache: losing an entry to a crash costs a recomputation, so no fsync.
        write_small(self._fd, sha256.hex(), message.SerializeToString(), durable=False)
        names = os.listdir(self._fd)
        if len(names) > _KEEP:
            self._prune(names)

    def _prune(self, names: list[str]) -> None:
        # Oldest first, down to three quarters of the limit.
        def age(name: str) -> int:
            try:
                return os.stat(name, dir_fd=self._fd, follow_symlinks=False).st_mtime_ns
            except FileNotFoundError:
                return 0

        for name in sorted(names, key=age)[: len(names) - _KEEP * 3 // 4]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=self._fd)

    def close(self) -> None:
        os.close(self._fd)


class Precomputer:
    """Compute signatures of freshly written files on a daemon thread.

    The process may exit with work pending; a missing cache entry only costs a
    computation when the signature is asked for. A request for a signature still
    being computed waits for it (:meth:`wait`) rather than computing it twice.
    """

    def __init__(self, compute: Callable[[bytes, bytes], object]) -> None:
        self._compute = compute
        self._queue: queue.SimpleQueue[tuple[bytes, Callable[[], object]]] = queue.SimpleQueue()
        self._pending: dict[bytes, threading.Event] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._run, name="livepatch-signatures", daemon=True).start()

    def submit(self, sha256: bytes, data: bytes) -> None:
        self.submit_work(sha256, lambda: self._compute(sha256, data))

    def submit_work(self, sha256: bytes, work: Callable[[], object]) -> None:
        """Run *work*, which stores the signature of *sha256*, on the thread."""
        with self._lock:
            self._pending.setdefault(sha256, threading.Event())
        self._queue.put((sha256, work))

    def wait(self, sha256: bytes, timeout: float) -> None:
        """Until the signature of *sha256* is stored, if it is being computed."""
        with self._lock:
            event = self._pending.get(sha256)
        if event is not None:
            event.wait(timeout)

    def _run(self) -> None:
        while True:
            sha256, work = self._queue.get()
            try:
                with contextlib.suppress(OSError, ValueError):
                    work()
            finally:
                with self._lock:
                    event = self._pending.pop(sha256, None)
                if event is not None:
                    event.set()


def _remove_flat_dir(parent_fd: int, name: str) -> None:
    # A cache directory of plain files only; anything else there is left alone.
    try:
        fd = open_dir(parent_fd, (name,))
    except (FileNotFoundError, PathError):
        return
    try:
        for entry in os.listdir(fd):
            with contextlib.suppress(OSError):
                os.unlink(entry, dir_fd=fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(name, dir_fd=parent_fd)
