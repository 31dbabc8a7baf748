"""Apply a batch of file operations below a root, all or nothing.

Plan, stage and commit live in :mod:`._batch`; the crash protocol in :mod:`._journal`.
This class holds the root, serialises batches and recovers at start-up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from velocity.livepatch.agent import _journal as jr
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._paths import STATE_DIR
from velocity.livepatch.agent._paths import open_dir
from velocity.livepatch.agent._paths import read_file
from velocity.livepatch.agent._txn import Transaction
from velocity.livepatch.agent._undo import load_undo
from velocity.livepatch.agent._undo import mark_rolled_back

__all__ = ["Engine", "Undone"]

_LOCK = "lock"


@dataclass(frozen=True)
class Undone:
    """What :meth:`Engine.rollback` did: *done*, or *reason* why not.

    .. versionadded:: 0.2
    """

    done: bool
    reason: str
    paths: list[str]
    token: str


class Engine:
    """The agent's file system side: confined reads and atomic batches below *root*.

    Opening an engine recovers a batch a crash left unfinished.

    :param root: the directory the agent owns; it must exist.
    :param on_step: called with ``"staged"``, ``"commit:N"``, ``"committed"`` and
        ``"finish:N"`` as a batch progresses (crash tests kill the process there).

    .. versionadded:: 0.1
    """

    def __init__(
        self, root: str | os.PathLike[str], *, on_step: Callable[[str], None] | None = None
    ) -> None:
        self.root = os.fspath(root)
        self._on_step = on_step or (lambda step: None)
        self._mutex = threading.Lock()
        self.root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.state_fd = open_dir(self.root_fd, (STATE_DIR,), create=True)
        with self._locked():
            self.recovered = self._recover()

    @property
    def token(self) -> str:
        """An id of the root's content, new after every batch (and every recovery)."""
        try:
            return jr.read_token(self.state_fd)
        except (FileNotFoundError, ValueError, KeyError):
            token = uuid.uuid4().hex
            jr.write_token(self.state_fd, token)
            return token

    def read(self, path: str) -> bytes:
        """Read the regular file *path*, never through a symlink.

        .. versionadded:: 0.1
        """
        return read_file(self.root_fd, path)

    def apply(self, ops: Sequence[Op], *, keep_undo: bool = False) -> str:
        """Apply *ops* as one batch: every change lands, or none does.

        :param keep_undo: keep the replaced files so :meth:`rollback` can restore them.
        :returns: the new :attr:`token`.
        :raises PathError: a path or symlink target is refused; nothing was changed.

        .. versionadded:: 0.1
        .. versionchanged:: 0.2 *keep_undo*.
        """
        txn = self.begin(keep_undo=keep_undo)
        txn.stage(ops)
        return txn.commit()

    def begin(self, *, keep_undo: bool = False) -> Transaction:
        """Start a batch to be staged in parts (:meth:`Transaction.stage`), then committed.

        :param keep_undo: keep the replaced files so :meth:`rollback` can restore them.

        .. versionadded:: 0.1
        .. versionchanged:: 0.2 *keep_undo*.
        """
        return Transaction(
            self.root_fd,
            self.state_fd,
            self._locked(),
            self.read,
            self._on_step,
            keep_undo=keep_undo,
        )

    def rollback(self) -> Undone:
        """Undo the last batch: restore exactly the files it replaced or deleted, and delete
        the ones it created. Only while nothing else changed the root since; only once.

        .. versionadded:: 0.2
        """
        txn = self.begin()
        try:
            ops = load_undo(self.state_fd, self.token)  # under the lock: no batch in between
            if isinstance(ops, str):
                txn.abort()
                return Undone(False, ops, [], self.token)
            txn.stage(ops)
            paths = txn.paths()
            mark_rolled_back(self.state_fd, txn.journal.token)
            token = txn.commit()
        except BaseException:
            txn.abort()
            raise
        return Undone(True, "", paths, token)

    def close(self) -> None:
        """Release the root and state directory fds."""
        for fd in (self.state_fd, self.root_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # One batch at a time: threads of this agent (mutex) and other agents on this root (flock).
        with self._mutex:
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(_LOCK, flags, 0o600, dir_fd=self.state_fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _recover(self) -> bool:
        journal = jr.read_journal(self.state_fd)
        if journal is None:
            return False
        jr.recover(self.root_fd, self.state_fd, journal)
        jr.write_token(self.state_fd, uuid.uuid4().hex)
        return True
