"""Confine every path the agent touches to its root.

Paths arrive as untrusted text. They are validated lexically, then walked one
component at a time from a held directory fd with ``O_NOFOLLOW``, so neither a
``..`` nor a symlink (old, new, or swapped in by a racing process) can lead a
write out of the root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import OrderedDict
from collections.abc import Iterator

__all__ = [
    "MAX_COMPONENT",
    "MAX_PATH",
    "STATE_DIR",
    "DirCache",
    "PathError",
    "check_link_target",
    "open_dir",
    "split_path",
]

MAX_PATH = 4096
MAX_COMPONENT = 255
# The agent's own journal and state; clients may never write into it.
STATE_DIR = ".livepatch-agent"

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class PathError(ValueError):
    """A path (or symlink target) that would leave the agent's root, or is malformed.

    .. versionadded:: 0.1
    """


def split_path(path: str) -> tuple[str, ...]:
    """Validate a root-relative POSIX path and return its components.

    :raises PathError: empty, absolute, NUL, backslash, ``.``/``..``/empty components,
        over-long path or component, non-UTF-8, or inside the agent's state directory.

    .. versionadded:: 0.1
    """
    if not path or "\0" in path or "\\" in path or path.startswith("/"):
        raise PathError(f"invalid path {path!r}")
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError:
        raise PathError(f"path is not UTF-8: {path!r}") from None
    if len(encoded) > MAX_PATH:
        raise PathError(f"path longer than {MAX_PATH} bytes")
    parts = tuple(path.split("/"))
    for part in parts:
        if part in ("", ".", ".."):
            raise PathError(f"invalid component {part!r} in {path!r}")
        if len(part.encode("utf-8")) > MAX_COMPONENT:
            raise PathError(f"component longer than {MAX_COMPONENT} bytes in {path[:64]!r}...")
    if parts[0] == STATE_DIR:
        raise PathError(f"{STATE_DIR}/ belongs to the agent")
    return parts


def check_link_target(link_path: str, target: str) -> None:
    """Refuse a symlink target that could resolve outside the root.

    The target must be relative, and ``..`` may appear only as leading components,
    no more of them than the link's depth. Since every other component descends and
    every existing link obeys the same rule, such a link resolves inside the root.

    .. versionadded:: 0.1
    """
    depth = len(split_path(link_path)) - 1
    if not target or "\0" in target or target.startswith("/"):
        raise PathError(f"symlink {link_path!r} -> {target!r} points outside the root")
    if len(target.encode("utf-8", "surrogatepass")) > MAX_PATH:
        raise PathError("symlink target too long")
    parts = [p for p in target.split("/") if p not in ("", ".")]
    ups = 0
    while ups < len(parts) and parts[ups] == "..":
        ups += 1
    if ups > depth or ".." in parts[ups:]:
        raise PathError(f"symlink {link_path!r} -> {target!r} points outside the root")


def open_dir(root_fd: int, parts: tuple[str, ...], *, create: bool = False) -> int:
    """Open the directory *parts* below *root_fd* without following any symlink.

    :param create: make missing directories (mode 0o755) on the way.
    :returns: a new fd the caller closes.
    :raises PathError: a component is a symlink, or not a directory.
    :raises FileNotFoundError: a component is missing and *create* is false.

    .. versionadded:: 0.1
    """
    fd = os.dup(root_fd)
    try:
        for part in parts:
            nxt = _open_child_dir(fd, part, create)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_child_dir(fd: int, name: str, create: bool) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except FileNotFoundError:
        if not create:
            raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o755, dir_fd=fd)
        return _open_child_dir(fd, name, create=False)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        raise PathError(f"{name!r} is not a directory inside the root ({exc.strerror})") from None


class DirCache:
    """Open directory fds by path, reused across a batch; the least recently used go first."""

    def __init__(self, root_fd: int, limit: int = 512) -> None:
        self.root_fd, self.limit = root_fd, limit
        self._fds: OrderedDict[tuple[str, ...], int] = OrderedDict()
        self.overflowed = False

    def get(self, parts: tuple[str, ...], *, create: bool = False) -> int:
        fd = self._fds.get(parts)
        if fd is not None:
            self._fds.move_to_end(parts)
            return fd
        if len(self._fds) >= self.limit:
            os.close(self._fds.popitem(last=False)[1])
            self.overflowed = True
        fd = self._fds[parts] = open_dir(self.root_fd, parts, create=create)
        return fd

    def opened(self) -> list[int]:
        return list(self._fds.values())

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    """``lstat`` *name* in *dir_fd*; ``None`` if it does not exist."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def check_replaceable(st: os.stat_result | None, name: str) -> None:
    """Only regular files and symlinks may be replaced or deleted."""
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise PathError(f"{name!r} is not a regular file or symlink; refusing to replace it")


@contextlib.contextmanager
def dir_fd(root_fd: int, parts: tuple[str, ...], *, create: bool = False) -> Iterator[int]:
    """:func:`open_dir` as a context manager."""
    fd = open_dir(root_fd, parts, create=create)
    try:
        yield fd
    finally:
        os.close(fd)


def read_file(root_fd: int, path: str) -> bytes:
    """Read the regular file *path* below the root, never through a symlink.

    .. versionadded:: 0.1
    """
    parts = split_path(path)
    with dir_fd(root_fd, parts[:-1]) as d:
        try:
            # O_NONBLOCK: opening a FIFO must not hang the agent; it is refused below.
            fd = os.open(parts[-1], _READ_FLAGS, dir_fd=d)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise PathError(f"cannot read {path!r}: {exc.strerror}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise PathError(f"{path!r} is not a regular file")
            return _read_all(fd)
        finally:
            os.close(fd)


def _read_all(fd: int) -> bytes:
    # One read of the whole size (one allocation, one copy); loop only if it grew.
    data = os.read(fd, max(os.fstat(fd).st_size, 1))
    if not data:
        return b""
    chunks = [data]
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
