"""inotify's per-user watch limit, checked before watching instead of failing on ENOSPC."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from velocity.core.errors import VelocityError

__all__ = [
    "LIMIT_FILE",
    "WatchLimitError",
    "check_watch_limit",
    "count_dirs",
    "describe_os_error",
    "is_watch_limit",
    "read_watch_limit",
]

LIMIT_FILE = Path("/proc/sys/fs/inotify/max_user_watches")


class WatchLimitError(VelocityError):
    """The tree has more directories than inotify may watch.

    .. versionadded:: 0.2
    """

    def __init__(self, src: Path, dirs: int, limit: int | None) -> None:
        have = f"fs.inotify.max_user_watches={limit}" if limit else "the inotify watch limit"
        want = max(524288, 2 * dirs)
        super().__init__(
            f"watching {src} needs one inotify watch per directory ({dirs}), more than "
            f"{have} leaves free; raise it: sudo sysctl fs.inotify.max_user_watches={want} "
            "(add the line to /etc/sysctl.d/ to keep it)"
        )


def read_watch_limit() -> int | None:
    """``fs.inotify.max_user_watches``, or None where there is no such file (not Linux).

    .. versionadded:: 0.2
    """
    try:
        return int(LIMIT_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def count_dirs(src: Path) -> int:
    """Directories below *src*, itself included (each costs one inotify watch).

    .. versionadded:: 0.2
    """
    count, stack = 0, [os.fspath(src)]
    while stack:
        count += 1
        try:
            with os.scandir(stack.pop()) as entries:
                stack += [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue  # vanished or unreadable: the observer will not watch it either
    return count


def check_watch_limit(src: Path) -> None:
    """Raise :class:`WatchLimitError` when *src* has more directories than the limit.

    .. versionadded:: 0.2
    """
    limit = read_watch_limit()
    if limit is None:
        return
    dirs = count_dirs(src)
    if dirs > limit:
        raise WatchLimitError(src, dirs, limit)


def is_watch_limit(exc: OSError) -> bool:
    return exc.errno == errno.ENOSPC


def describe_os_error(exc: OSError) -> str:
    """One line for an inotify failure other than the watch limit."""
    if exc.errno == errno.EMFILE:
        return (
            "too many inotify instances; raise fs.inotify.max_user_instances "
            "(sudo sysctl fs.inotify.max_user_instances=1024)"
        )
    return exc.strerror or str(exc)
