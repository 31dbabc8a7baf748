"""The previous versions of the last batch's files, kept so the batch can be rolled back.

When a batch finishes, the backups its commit moved aside (see :mod:`._journal`) are
moved into ``undo/`` in the state directory instead of being deleted, next to a record
naming each path and its backup (none for a path the batch created). Rolling back is
then one more ordinary batch: backups put back, created paths deleted again.

The record carries the token the batch produced. It applies only while the root still
holds that token: any later batch (a rollback too) or a crash recovery makes it stale,
so a rollback never restores files over changes it does not know about.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat

from velocity.livepatch.agent import _journal as jr
from velocity.livepatch.agent._durable import read_small
from velocity.livepatch.agent._durable import write_small
from velocity.livepatch.agent._ops import Delete
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._ops import Put
from velocity.livepatch.agent._ops import Symlink
from velocity.livepatch.agent._paths import open_dir

__all__ = ["UndoKeeper", "load_undo", "mark_rolled_back"]

_DIR = "undo"
_RECORD = "record.json"


class UndoKeeper:
    """Collect the backups of one finishing batch (its :meth:`keep` replaces their unlink)."""

    def __init__(self, state_fd: int, journal: jr.Journal) -> None:
        self._fd = open_dir(state_fd, (_DIR,), create=True)
        for name in os.listdir(self._fd):  # the batch before this one is no longer undoable
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(name, dir_fd=self._fd)
        entries = [
            ["/".join([*e.dir, e.name]), None if e.bak is None else str(n)]
            for n, e in enumerate(journal.entries)
        ]
        self._complete = True
        # Written before any backup moves: a crash after it leaves a stale token, never a
        # record that names backups it lacks and still looks current.
        record = {"token": journal.token, "entries": entries}
        write_small(self._fd, _RECORD, json.dumps(record).encode(), durable=False)

    def keep(self, dir_fd: int, entry: jr.Entry, n: int) -> None:
        assert entry.bak is not None
        try:
            os.rename(entry.bak, str(n), src_dir_fd=dir_fd, dst_dir_fd=self._fd)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            # Another file system below the root (a mount): this batch cannot be undone.
            os.unlink(entry.bak, dir_fd=dir_fd)
            if self._complete:
                self._complete = False
                clear_undo_fd(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def clear_undo_fd(undo_fd: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_RECORD, dir_fd=undo_fd)


def mark_rolled_back(state_fd: int, token: str) -> None:
    """Record that the batch was rolled back (the root gets *token*): a second rollback
    must say so, and never re-apply the batch."""
    fd = open_dir(state_fd, (_DIR,), create=True)
    try:
        record = {"token": token, "rolled_back": True}
        write_small(fd, _RECORD, json.dumps(record).encode(), durable=False)
    finally:
        os.close(fd)


def load_undo(state_fd: int, token: str) -> list[Op] | str:
    """The batch that undoes the last one, or why there is none.

    :param token: the root's current token; the record must have produced it.
    """
    try:
        fd = open_dir(state_fd, (_DIR,))
    except FileNotFoundError:
        return "no batch has been applied yet"
    try:
        try:
            record = json.loads(read_small(fd, _RECORD))
        except FileNotFoundError:
            return "nothing to roll back: the last batch's old files were not kept"
        if record.get("token") != token:
            return "nothing to roll back: the target changed since the last batch"
        if record.get("rolled_back"):
            return "nothing to roll back: the last batch was rolled back already"
        return [_undo_op(fd, path, name) for path, name in record["entries"]]
    finally:
        os.close(fd)


def _undo_op(undo_fd: int, path: str, name: str | None) -> Op:
    if name is None:
        return Delete(path)
    st = os.stat(name, dir_fd=undo_fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        return Symlink(path, os.readlink(name, dir_fd=undo_fd))
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=undo_fd)
    with os.fdopen(fd, "rb") as f:
        return Put(path, f.read(), stat.S_IMODE(st.st_mode))
