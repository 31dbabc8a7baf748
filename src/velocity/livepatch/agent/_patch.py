"""Build a file from its current version and a delta, in the kernel where it can.

Copy runs go with ``copy_file_range(2)`` (a reflink on file systems that share
extents, a page-cache copy elsewhere), literals with ``write(2)``; the result is
hashed through a read-only mapping while it is flushed. No copy of the file passes
through Python.
"""

from __future__ import annotations

import concurrent.futures
import errno
import hashlib
import mmap
import os
import stat

from velocity.livepatch import codec
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._ops import Patch
from velocity.livepatch.agent._paths import dir_fd
from velocity.livepatch.agent._paths import split_path

__all__ = ["file_sha256", "map_file", "write_all", "write_patched"]

_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_CHUNK = 1 << 24
# Where copy_file_range is refused (old kernels, some file systems), read and write instead.
_FALLBACK = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


def write_patched(dir_fd: int, name: str, op: Patch, out: int) -> None:
    """Write the file *op* describes to *out*, from *name* in *dir_fd* (the current file).

    :raises ConflictError: the current file is not the delta's basis.
    """
    try:
        src = os.open(name, _READ, dir_fd=dir_fd)
    except OSError:
        raise _conflict(op) from None
    try:
        st = os.fstat(src)
        if not stat.S_ISREG(st.st_mode):
            raise _conflict(op)
        _build(src, st.st_size, op.delta, out)
    finally:
        os.close(src)
    # The write-back the batch's flush would wait for runs while the file is hashed
    # (both leave the GIL); the flush then finds the file clean.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        flushed = pool.submit(os.fsync, out)
        digest = file_sha256(out)
        flushed.result()
    if digest != op.sha256:
        raise _conflict(op)


def file_sha256(fd: int) -> bytes:
    """The SHA-256 of the whole file open (readable) as *fd*."""
    size = os.fstat(fd).st_size
    if not size:
        return hashlib.sha256().digest()
    with mmap.mmap(fd, size, prot=mmap.PROT_READ) as view:
        return hashlib.sha256(view).digest()


def map_file(root_fd: int, path: str) -> mmap.mmap | None:
    """A read-only mapping of the regular, non-empty file *path* below the root, or None."""
    parts = split_path(path)
    with dir_fd(root_fd, parts[:-1]) as d:
        fd = os.open(parts[-1], _READ, dir_fd=d)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not st.st_size:
                return None
            return mmap.mmap(fd, st.st_size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)


def _build(src: int, size: int, delta: codec.Delta, out: int) -> None:
    block, full = delta.block_size, size - size % delta.block_size
    for op in delta.ops:
        if isinstance(op, codec.Literal):
            write_all(out, op.data)
            continue
        lo, hi = op.block * block, (op.block + op.count) * block
        if op.count < 1 or op.block < 0 or hi > full:
            raise ConflictError("the delta copies blocks its basis does not have")
        _copy(src, out, lo, hi - lo)
    if delta.copy_tail:
        _copy(src, out, full, size - full)


def _copy(src: int, out: int, offset: int, count: int) -> None:
    end = offset + count
    while offset < end:
        try:
            done = os.copy_file_range(src, out, min(_CHUNK, end - offset), offset)
        except OSError as exc:
            if exc.errno not in _FALLBACK:
                raise
            _copy_by_hand(src, out, offset, end - offset)
            return
        if not done:
            raise ConflictError("the delta's basis shrank while it was applied")
        offset += done


def _copy_by_hand(src: int, out: int, offset: int, count: int) -> None:
    while count:
        data = os.pread(src, min(_CHUNK, count), offset)
        if not data:
            raise ConflictError("the delta's basis shrank while it was applied")
        write_all(out, data)
        offset, count = offset + len(data), count - len(data)


def write_all(fd: int, data: bytes) -> None:
    """Write all of *data* to *fd*, in 1 MiB writes (one huge write(2) runs several times
    slower here)."""
    with memoryview(data) as view:
        written = 0
        while written < len(view):
            written += os.write(fd, view[written : written + (1 << 20)])


def _conflict(op: Patch) -> ConflictError:
    return ConflictError(f"{op.path!r} is not the version the delta was made against")
