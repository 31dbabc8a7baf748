"""Durability helpers: atomic small-file writes, and one ``syncfs`` for big batches.

A batch of thousands of files would pay thousands of fsyncs (a few ms each);
above a threshold the agent flushes the whole file system once instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Iterable

__all__ = [
    "SYNCFS_MIN",
    "flush",
    "read_small",
    "syncfs",
    "write_small",
]

SYNCFS_MIN = 8
_LIBC = ctypes.CDLL(None, use_errno=True)
_SYNCFS = getattr(_LIBC, "syncfs", None)


def flush(fds: Iterable[int], any_fd: int) -> None:
    """Make what was written through *fds* durable: fsync each, or syncfs if there are many."""
    fds = list(fds)
    if len(fds) >= SYNCFS_MIN and syncfs(any_fd):
        return
    for fd in fds:
        os.fsync(fd)


def syncfs(any_fd: int) -> bool:
    """Flush the whole file system holding *any_fd*; False where syncfs is missing."""
    return _SYNCFS is not None and _SYNCFS(any_fd) == 0


def write_small(dir_fd: int, name: str, data: bytes, *, durable: bool) -> None:
    """Replace *name* in *dir_fd* with *data* through a temp file and a rename.

    :param durable: fsync the data and the directory (skip for records a crash may lose).
    """
    tmp = f".{name}.{threading.get_ident()}.tmp"  # unique: the signature thread writes too
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp, dir_fd=dir_fd)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
    try:
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    if durable:
        os.fsync(dir_fd)


def read_small(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as f:
        return f.read()
