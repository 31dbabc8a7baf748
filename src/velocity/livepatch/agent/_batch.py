"""The three phases of a batch: plan (validate, find what exists), stage, commit.

Staging writes each new file as a temp file next to its destination; committing
moves the old file aside (the backup) and the temp file into place, with
``rename(2)``, which never follows a symlink at the final component.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from velocity.livepatch.agent import _journal as jr
from velocity.livepatch.agent._durable import SYNCFS_MIN
from velocity.livepatch.agent._durable import flush
from velocity.livepatch.agent._durable import syncfs
from velocity.livepatch.agent._ops import Chmod
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._ops import Delete
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._ops import Patch
from velocity.livepatch.agent._ops import Put
from velocity.livepatch.agent._ops import Symlink
from velocity.livepatch.agent._patch import write_all
from velocity.livepatch.agent._patch import write_patched
from velocity.livepatch.agent._paths import DirCache
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._paths import check_link_target
from velocity.livepatch.agent._paths import check_replaceable
from velocity.livepatch.agent._paths import lstat_at
from velocity.livepatch.agent._paths import split_path

__all__ = ["Staged", "append", "commit", "flush_staged", "plan", "stage"]

# Read-write: a Patch is hashed through a mapping of what was written.
_CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
Reader = Callable[[str], bytes]


@dataclass
class Staged:
    op: Op
    entry: jr.Entry


def plan(
    dirs: DirCache, ops: Sequence[Op], journal: jr.Journal, seen: dict[tuple[str, ...], bool]
) -> tuple[list[Staged], list[tuple[str, ...]]]:
    """Validate *ops* (one more part of a batch) and add them to the journal.

    Nothing on disk changes. *seen* carries the paths of earlier parts; *dirs* the
    directories opened for them (a batch keeps one cache for all its parts).

    :returns: the staged items and the directories to create for them.
    """
    mkdirs: set[tuple[str, ...]] = set()
    staged: list[Staged] = []
    first = len(journal.entries)
    for i, op in enumerate(ops, start=first):
        item = _plan_one(dirs, op, journal.batch, i, seen, mkdirs)
        if item is not None:
            staged.append(item)
    new_dirs = sorted(mkdirs, key=len)
    journal.mkdirs += [list(p) for p in new_dirs]
    journal.entries += [s.entry for s in staged]
    return staged, new_dirs


def _plan_one(
    dirs: DirCache,
    op: Op,
    batch: str,
    i: int,
    seen: dict[tuple[str, ...], bool],
    mkdirs: set[tuple[str, ...]],
) -> Staged | None:
    parts = split_path(op.path)
    _check_unique(parts, seen, op.path)
    if isinstance(op, Symlink):
        check_link_target(op.path, op.target)
    existing = _lstat(dirs, parts, mkdirs)
    check_replaceable(existing, op.path)
    if existing is None and isinstance(op, Delete):
        return None  # already gone: deleting is idempotent
    if existing is None and isinstance(op, Chmod):
        raise PathError(f"cannot chmod missing {op.path!r}")
    if isinstance(op, Patch) and (existing is None or not stat.S_ISREG(existing.st_mode)):
        raise ConflictError(f"{op.path!r} is not the version the delta was made against")
    stem = f".~lp.{batch}.{i}"
    tmp = None if isinstance(op, Delete) else stem + ".tmp"
    bak = None if existing is None else stem + ".bak"
    return Staged(op, jr.Entry(list(parts[:-1]), parts[-1], tmp, bak))


def _check_unique(parts: tuple[str, ...], seen: dict[tuple[str, ...], bool], path: str) -> None:
    # A batch may name a path once, and never as both a file and a directory
    # (seen maps each path to True for a file, False for a parent directory).
    known = seen.get(parts)
    if known is True:
        raise PathError(f"{path!r} appears twice in one batch")
    if known is False:
        raise PathError(f"{path!r} is both a file and a directory in one batch")
    # A parent already seen as a directory had all its prefixes checked and recorded then.
    if len(parts) > 1 and seen.get(parts[:-1]) is not False:
        prefixes = [parts[:k] for k in range(1, len(parts))]
        if any(seen.get(p) is True for p in prefixes):
            raise PathError(f"{path!r} is both a file and a directory in one batch")
        seen.update((p, False) for p in prefixes)
    seen[parts] = True


def _lstat(
    dirs: DirCache, parts: tuple[str, ...], mkdirs: set[tuple[str, ...]]
) -> os.stat_result | None:
    # Walks the existing directories only; the missing ones are recorded to be made.
    if parts[:-1] in mkdirs:
        return None  # in a directory this part makes: its siblings found it missing
    for depth in range(len(parts) - 1, -1, -1):
        try:
            fd = dirs.get(parts[:depth])
        except FileNotFoundError:
            continue
        if depth == len(parts) - 1:
            return lstat_at(fd, parts[-1])
        if lstat_at(fd, parts[depth]) is not None:  # appeared meanwhile, or not a dir
            raise PathError(f"{'/'.join(parts[: depth + 1])!r} is not a directory")
        mkdirs.update(parts[:k] for k in range(depth + 1, len(parts)))
        return None
    raise PathError("the root itself is gone")  # pragma: no cover


def make_dirs(dirs: DirCache, mkdirs: list[tuple[str, ...]]) -> None:
    """Create the new directories :func:`plan` found, parents first."""
    for parts in mkdirs:
        dirs.get(parts, create=True)


def stage(dirs: DirCache, staged: list[Staged], read: Reader) -> None:
    """Write every temp file (unflushed: see :func:`flush_staged`)."""
    for item in staged:
        fd = _stage_one(dirs.get(tuple(item.entry.dir)), item, read)
        if fd is not None:
            os.close(fd)


def append(dirs: DirCache, item: Staged, data: bytes) -> None:
    """Write *data* at the end of *item*'s temp file (a file sent in pieces)."""
    assert item.entry.tmp is not None
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(item.entry.tmp, flags, dir_fd=dirs.get(tuple(item.entry.dir)))
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def flush_staged(root_fd: int, staged: list[Staged]) -> None:
    """Make every temp file durable: one syncfs for many, an fsync each for a few."""
    files = [s.entry for s in staged if s.entry.tmp is not None and not isinstance(s.op, Symlink)]
    if len(files) >= SYNCFS_MIN and syncfs(root_fd):
        return
    dirs = DirCache(root_fd)
    try:
        for entry in files:
            assert entry.tmp is not None
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(entry.tmp, flags, dir_fd=dirs.get(tuple(entry.dir)))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        dirs.close()


@functools.cache
def _umask() -> int | None:
    # Read, not set: os.umask() would change it for every thread for a moment.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def _exact_on_create(bits: int) -> bool:
    # Whether open(2) alone gives the file exactly *bits*, saving an fchmod per file.
    umask = _umask()
    return umask is not None and bits <= 0o777 and not bits & umask


def _stage_one(d: int, item: Staged, read: Reader) -> int | None:
    op, tmp = item.op, item.entry.tmp
    if tmp is None:
        return None
    if isinstance(op, Symlink):
        os.symlink(op.target, tmp, dir_fd=d)
        return None
    if isinstance(op, Chmod):
        content, mode = read(op.path), op.mode
    else:
        assert isinstance(op, (Put, Patch))
        content, mode = (op.content if isinstance(op, Put) else b""), op.mode
    bits = stat.S_IMODE(mode)
    fd = os.open(tmp, _CREATE, bits if _exact_on_create(bits) else 0o600, dir_fd=d)
    try:
        if isinstance(op, Patch):
            write_patched(d, item.entry.name, op, fd)  # the current file: the delta's basis
        write_all(fd, content)
        if not _exact_on_create(bits):
            os.fchmod(fd, bits)
    except BaseException:
        os.close(fd)
        raise
    return fd


def commit(
    root_fd: int,
    staged: list[Staged],
    new_dirs: list[list[str]],
    on_step: Callable[[str], None],
) -> None:
    """Move old files aside and new ones into place; flush every directory touched.

    The parents of directories the batch created are flushed too, or a power loss
    could drop a whole new subtree.
    """
    dirs = DirCache(root_fd)
    try:
        for parts in new_dirs:
            dirs.get(tuple(parts[:-1]))
        for n, item in enumerate(staged):
            entry = item.entry
            d = dirs.get(tuple(entry.dir))
            if entry.bak is not None:
                os.rename(entry.name, entry.bak, src_dir_fd=d, dst_dir_fd=d)
            if entry.tmp is not None:
                os.rename(entry.tmp, entry.name, src_dir_fd=d, dst_dir_fd=d)
            on_step(f"commit:{n}")
        if dirs.overflowed and syncfs(root_fd):
            return
        if dirs.overflowed:  # pragma: no cover - no syncfs and more dirs than fds kept
            raise OSError("too many directories in one batch to flush without syncfs")
        flush(dirs.opened(), root_fd)
    finally:
        dirs.close()
