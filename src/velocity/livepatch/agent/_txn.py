"""A batch that arrives in parts: staged as each part comes, committed once at the end.

Streaming lets the agent write files while the client is still encoding and
sending the rest; atomicity is unchanged, since nothing is renamed before commit.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from collections.abc import Sequence

from velocity.livepatch._inorder import InOrder
from velocity.livepatch.agent import _batch
from velocity.livepatch.agent import _journal as jr
from velocity.livepatch.agent._durable import SYNCFS_MIN
from velocity.livepatch.agent._durable import syncfs
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._ops import Put
from velocity.livepatch.agent._paths import DirCache
from velocity.livepatch.agent._undo import UndoKeeper

__all__ = ["WRITEBACK_BYTES", "Transaction"]

WRITEBACK_BYTES = 16 << 20  # appended to a big file, then its write-back starts meanwhile
_QUEUED = 8  # parts waiting to be written (at most 4 MiB each): then the reader waits


class Transaction:
    """One batch in progress; holds the engine's lock until :meth:`commit` or :meth:`abort`.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        root_fd: int,
        state_fd: int,
        lock: contextlib.AbstractContextManager[None],
        read: Callable[[str], bytes],
        on_step: Callable[[str], None],
        *,
        keep_undo: bool = False,
    ) -> None:
        self._root_fd, self._state_fd, self._read, self._on_step = root_fd, state_fd, read, on_step
        self._keep_undo = keep_undo
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(lock)
        # The directories of every part, opened once (closed with the transaction).
        self._dirs = self._stack.enter_context(contextlib.closing(DirCache(root_fd)))
        self.journal = jr.Journal(batch=uuid.uuid4().hex[:12], token=uuid.uuid4().hex)
        self._seen: dict[tuple[str, ...], bool] = {}
        self._staged: list[_batch.Staged] = []
        self._puts: dict[str, _batch.Staged] = {}  # the files staged, for appends
        self._unflushed = 0  # bytes appended since the last early write-back began
        self._writeback: threading.Thread | None = None
        self._stager: InOrder | None = None  # writes big parts (see stage)
        self._stager_dirs: DirCache | None = None  # its own: a cache is not shared by threads
        self.open = True

    def stage(self, ops: Sequence[Op]) -> int:
        """Validate and write *ops* as temp files; returns how many entries the batch has.

        From the first big part on, parts are written on a thread of their own while the
        caller decodes the next: creating a file is kernel time (over 100 µs a file on
        some ext4 file systems), which then overlaps, as rsync's receiver runs beside its
        generator. Their errors are raised by a later call or by :meth:`commit`.
        """
        try:
            part, mkdirs = _batch.plan(self._dirs, ops, self.journal, self._seen)
            jr.write_journal(self._state_fd, self.journal, jr.STAGING, durable=False)
            # Directories here, so that planning the next part finds them.
            _batch.make_dirs(self._dirs, mkdirs)
            if self._stager is None and len(part) >= SYNCFS_MIN:
                self._stager_dirs = self._stack.enter_context(
                    contextlib.closing(DirCache(self._root_fd))
                )
                self._stager = InOrder("livepatch-stage", queued=_QUEUED)
            self._run(lambda dirs: _batch.stage(dirs, part, self._read))
        except BaseException:
            self.abort()
            raise
        if len(part) >= SYNCFS_MIN:
            self._early_writeback()
        self._staged += part
        self._puts.update((s.op.path, s) for s in part if isinstance(s.op, Put))
        return len(self._staged)

    def _run(self, work: Callable[[DirCache], None]) -> None:
        # Here, or on the stager's thread with the stager's directory cache.
        if self._stager is None:
            work(self._dirs)
        else:
            dirs = self._stager_dirs
            assert dirs is not None
            self._stager.submit(lambda: work(dirs))

    def append(self, path: str, data: bytes) -> None:
        """Write *data* at the end of the temp file of *path*, a file this batch puts."""
        item = self._puts.get(path)
        if item is None:
            raise ValueError(f"{path!r} is not a file this batch writes")
        try:
            self._run(lambda dirs: _batch.append(dirs, item, data))
        except BaseException:
            self.abort()
            raise
        self._unflushed += len(data)
        if self._unflushed >= WRITEBACK_BYTES:
            self._unflushed = 0
            self._early_writeback()

    def _early_writeback(self) -> None:
        # The commit's flush waits for every staged byte to reach the disk; writing back
        # what is staged so far while the next parts arrive leaves it less to wait for.
        if self._writeback is None or not self._writeback.is_alive():
            self._writeback = threading.Thread(
                target=syncfs, args=(self._root_fd,), name="livepatch-writeback", daemon=True
            )
            self._writeback.start()

    def commit(self) -> str:
        """Flush, rename everything into place, drop the backups; returns the new token."""
        try:
            if self._stager is not None:
                self._stager.finish()
            _batch.flush_staged(self._root_fd, self._staged)
            self._on_step("staged")
            jr.write_journal(self._state_fd, self.journal, jr.COMMITTING)
            _batch.commit(self._root_fd, self._staged, self.journal.mkdirs, self._on_step)
        except BaseException:
            self.abort()
            raise
        try:
            self._on_step("committed")
            self._finish()
            jr.retire(self._state_fd)
        finally:
            self._close()
        return self.journal.token

    def paths(self) -> list[str]:
        """The root-relative paths this batch writes or deletes (so far)."""
        return ["/".join([*e.dir, e.name]) for e in self.journal.entries]

    def _finish(self) -> None:
        # The backups become the undo record of this batch (see ._undo), unless told not to.
        if not self._keep_undo:
            jr.finish(self._root_fd, self.journal, self._on_step)
            return
        keeper = UndoKeeper(self._state_fd, self.journal)
        try:
            jr.finish(self._root_fd, self.journal, self._on_step, keeper.keep)
        finally:
            keeper.close()

    def abort(self) -> None:
        """Undo whatever was staged or renamed; a closed transaction is left alone."""
        if not self.open:
            return
        try:
            if self._stager is not None:
                self._stager.cancel()
            if self.journal.state == jr.COMMITTING:
                jr.write_journal(self._state_fd, self.journal, jr.UNDOING)
            jr.undo(self._root_fd, self.journal)
            jr.remove(self._state_fd)
        finally:
            self._close()

    def _close(self) -> None:
        self.open = False
        self._stack.close()
