"""Describe what the root holds: path, kind, mode and content hash of every file and link.

Walks with ``os.fwalk`` (no symlink is followed) and reuses a file's hash while its
inode, size, mtime and ctime are unchanged; the ctime check catches same-size edits
that kept the mtime.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

from velocity.livepatch.agent._paths import STATE_DIR

__all__ = ["FileInfo", "HashCache", "scan"]

_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


@dataclass(frozen=True)
class FileInfo:
    """One entry of the root: a regular file (``target`` empty) or a symlink.

    .. versionadded:: 0.1
    """

    path: str
    sha256: bytes
    mode: int
    size: int
    target: str = ""
    is_link: bool = False


_Key = tuple[int, int, int, int, int]
HashCache = dict[str, tuple[_Key, bytes]]


def scan(root_fd: int, cache: HashCache | None = None) -> list[FileInfo]:
    """Every regular file and symlink below *root_fd*, sorted by path.

    Special files (FIFOs, devices, sockets) are left out: the agent never touches them.

    .. versionadded:: 0.1
    """
    cache = {} if cache is None else cache
    found: list[FileInfo] = []
    for top, dirs, files, dir_fd in os.fwalk(".", dir_fd=root_fd, follow_symlinks=False):
        prefix = "" if top == "." else top[2:] + "/"
        if not prefix:
            dirs[:] = [d for d in dirs if d != STATE_DIR]
        for name in files + [d for d in dirs if _is_link(dir_fd, d)]:
            info = _describe(dir_fd, name, prefix + name, cache)
            if info is not None:
                found.append(info)
    found.sort(key=lambda f: f.path)
    return found


def _is_link(dir_fd: int, name: str) -> bool:
    return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)


def _describe(dir_fd: int, name: str, path: str, cache: HashCache) -> FileInfo | None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(name, dir_fd=dir_fd)
            digest = hashlib.sha256(target.encode("utf-8", "surrogateescape")).digest()
            return FileInfo(path, digest, 0o777, len(target), target, is_link=True)
        if not stat.S_ISREG(st.st_mode):
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_dev)
        hit = cache.get(path)
        digest = hit[1] if hit is not None and hit[0] == key else _hash_file(dir_fd, name)
        cache[path] = (key, digest)
        return FileInfo(path, digest, stat.S_IMODE(st.st_mode), st.st_size)
    except FileNotFoundError:
        return None  # removed while we walked


def _hash_file(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, _READ, dir_fd=dir_fd)
    try:
        h = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
        return h.digest()
    finally:
        os.close(fd)
