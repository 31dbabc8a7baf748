"""The local side: which files SRC holds (ignore rules applied) and their content hashes.

A file's hash is reused only while inode, size, mtime and ctime all match the
cached ones; ctime changes on every write and cannot be set back by tools like
``touch -d``, so a same-size edit in the same second is still seen.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import os
import re
import stat
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pathspec

from velocity.livepatch.agent._manifest import FileInfo

__all__ = [
    "ALWAYS_IGNORED",
    "IGNORE_FILES",
    "HashCache",
    "IgnoreRules",
    "RecentReads",
    "Tree",
    "load_ignore",
    "read_whole",
    "scan",
    "scan_paths",
    "stat_key",
    "unchanged_since_scan",
    "walk",
]

IGNORE_FILES = (".gitignore", ".dockerignore", ".livepatchignore")
ALWAYS_IGNORED = (".git/", ".velocity/", ".livepatch-agent/")
Tree = dict[str, FileInfo]


class HashCache(dict[str, list[int | str]]):
    """path -> [ino, size, mtime_ns, ctime_ns, sha256 hex]; ``dirty`` once anything was hashed.

    ``recent`` keeps the bytes of the files just hashed, so the encoder that sends them
    next need not read them again.
    """

    dirty = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recent = RecentReads()


class RecentReads:
    """Bytes of files read while hashing, with their stat right after the read; bounded.

    Each is taken once, by :meth:`take`; what no one took is dropped by :meth:`clear`.

    .. versionadded:: 0.3
    """

    LIMIT = 128 * 1024 * 1024

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, os.stat_result]] = {}
        self._bytes = 0

    def fits(self, size: int) -> bool:
        return self._bytes + size <= self.LIMIT

    def put(self, path: str, data: bytes, st: os.stat_result) -> None:
        old = self._files.pop(path, None)
        self._bytes += len(data) - (len(old[0]) if old else 0)
        self._files[path] = (data, st)

    def take(self, path: str) -> tuple[bytes, os.stat_result] | None:
        """The bytes read of *path* and the ``fstat`` that vouches for them, if kept."""
        hit = self._files.pop(path, None)
        if hit is not None:
            self._bytes -= len(hit[0])
        return hit

    def clear(self) -> None:
        self._files.clear()
        self._bytes = 0


def stat_key(st: os.stat_result) -> list[int]:
    """What must stay the same for a file's hash (or bytes) read earlier to still hold.

    .. versionadded:: 0.3
    """
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class IgnoreRules:
    """Whether a root-relative path is ignored (directories end with ``/``).

    The top-level ignore files are read up front; a :func:`scan` adds the rules of every
    nested ``.gitignore`` it walks past, so a later hinted scan and the plan see them too.
    A nested file adds exclusions below its directory; it cannot re-include what a rule
    above excluded.

    .. versionadded:: 0.2
    """

    def __init__(self, root: Callable[[str], bool]) -> None:
        self.root = _with_plugin_filters(root)
        self.nested: dict[str, Callable[[str], bool]] = {}

    def __call__(self, path: str) -> bool:
        if self.root(path):
            return True
        if not self.nested:
            return False  # the common case: no nested .gitignore, one lookup
        slash = path.find("/")
        while 0 <= slash < len(path) - 1:
            rule = self.nested.get(path[: slash + 1])
            if rule is not None and rule(path[slash + 1 :]):
                return True
            slash = path.find("/", slash + 1)
        return False

    def add_nested(self, prefix: str, gitignore: str) -> None:
        """Apply the rules of *gitignore* (a file) to paths below *prefix* (``dir/``)."""
        try:
            with open(gitignore, encoding="utf-8", errors="replace") as f:
                spec = pathspec.GitIgnoreSpec.from_lines(f.read().splitlines())
        except OSError:
            return
        self.nested[prefix] = _fast_matcher(spec) or spec.match_file


def load_ignore(src: Path) -> IgnoreRules:
    """The ignore rules of *src*: its top-level ignore files and the plugins' filters.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       Returns :class:`IgnoreRules`, which a scan extends with nested ``.gitignore`` files.
    """
    lines = list(ALWAYS_IGNORED)
    for name in IGNORE_FILES:
        path = src / name
        if path.is_file():
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return IgnoreRules(_fast_matcher(spec) or spec.match_file)


def _with_plugin_filters(ignored: Callable[[str], bool]) -> Callable[[str], bool]:
    from velocity.livepatch.plugins import get_plugin_manager

    hook = get_plugin_manager().hook.livepatch_filter
    if not hook.get_hookimpls():
        return ignored  # the fast path: no plugin filters, no hook call per path
    return lambda path: ignored(path) or any(hook(path=path))


def _fast_matcher(spec: pathspec.GitIgnoreSpec) -> Callable[[str], bool] | None:
    # Without negations the last-match-wins rule reduces to "any pattern matches",
    # which one combined regex answers several times faster than pathspec's loop.
    patterns = [p for p in spec.patterns if p.include is not None]
    if any(not p.include for p in patterns):
        return None
    sources = []
    for p in patterns:
        regex = getattr(p, "regex", None)
        if not isinstance(regex, re.Pattern):
            return None
        sources.append("(?:" + regex.pattern.replace("(?P<ps_d>", "(") + ")")
    if not sources:
        return lambda path: False
    combined = re.compile("|".join(sources))
    return lambda path: combined.match(path) is not None


def scan(src: Path, ignored: Callable[[str], bool], cache: HashCache | None = None) -> Tree:
    """Every file and symlink below *src* that the ignore rules keep.

    .. versionadded:: 0.1
    """
    return {info.path: info for info in walk(src, ignored, cache)}


def walk(
    src: Path, ignored: Callable[[str], bool], cache: HashCache | None = None
) -> Iterator[FileInfo]:
    """What :func:`scan` finds, as it is found; big files (hashed meanwhile) come last.

    .. versionadded:: 0.3
    """
    cache = HashCache() if cache is None else cache
    big = _BigFiles(cache)
    try:
        yield from _walk_dir(os.fspath(src), "", ignored, cache, big)
        yield from big.results()
    finally:
        big.close()


class _BigFiles:
    """Big files are read and hashed on a thread of their own while the walk goes on
    (both leave the GIL); they are described once the walk is done."""

    MIN = 4 << 20

    def __init__(self, cache: HashCache) -> None:
        self._cache = cache
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: list[tuple[FileInfo, list[int | str], concurrent.futures.Future[_Read]]] = []

    def submit(self, full: str, info: FileInfo, key: list[int | str]) -> None:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, "livepatch-hash")
        keep = self._cache.recent.fits(info.size)
        self._pending.append((info, key, self._pool.submit(_read_hash, full, keep, info.size)))

    def results(self) -> Iterator[FileInfo]:
        for info, key, future in self._pending:
            try:
                digest, kept = future.result()
            except FileNotFoundError:
                continue  # removed while we walked
            if kept is not None and self._cache.recent.fits(len(kept[0])):
                self._cache.recent.put(info.path, *kept)
            self._cache[info.path] = [*key, digest.hex()]
            self._cache.dirty = True
            yield dataclasses.replace(info, sha256=digest)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _walk_dir(
    top: str, prefix: str, ignored: Callable[[str], bool], cache: HashCache, big: _BigFiles
) -> Iterator[FileInfo]:
    with os.scandir(top) as listing:
        entries = list(listing)
    if prefix and isinstance(ignored, IgnoreRules):
        for entry in entries:
            if entry.name == ".gitignore":  # its rules must hold before its siblings are seen
                ignored.add_nested(prefix, entry.path)
    for entry in entries:
        path = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if not ignored(path + "/"):
                yield from _walk_dir(entry.path, path + "/", ignored, cache, big)
        elif not ignored(path):
            info = _describe(entry.path, path, cache, big)
            if info is not None and info.sha256:
                yield info


def scan_paths(
    src: Path, paths: Iterable[str], ignored: Callable[[str], bool], cache: HashCache, tree: Tree
) -> None:
    """Refresh only *paths* in *tree* (a watcher knows what changed; no full walk).

    .. versionadded:: 0.1
    """
    for path in paths:
        parts = path.split("/")
        if any(ignored("/".join(parts[: k + 1]) + "/") for k in range(len(parts) - 1)):
            continue
        info = None if ignored(path) else _describe(os.path.join(src, path), path, cache)
        if info is None:
            tree.pop(path, None)
        else:
            tree[path] = info


def _describe(
    full: str, path: str, cache: HashCache, big: _BigFiles | None = None
) -> FileInfo | None:
    try:
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(full)
            digest = hashlib.sha256(target.encode("utf-8", "surrogateescape")).digest()
            return FileInfo(path, digest, 0o777, len(target), target, is_link=True)
        if not stat.S_ISREG(st.st_mode):
            return None
        key: list[int | str] = [*stat_key(st)]
        hit = cache.get(path)
        if hit is not None and hit[:4] == key:
            digest = bytes.fromhex(str(hit[4]))
        elif big is not None and st.st_size >= big.MIN:
            info = FileInfo(path, b"", stat.S_IMODE(st.st_mode), st.st_size)
            big.submit(full, info, key)
            return info
        else:
            digest = _hash(full, path, cache.recent, st.st_size)
            cache[path] = [*key, digest.hex()]
            cache.dirty = True
        return FileInfo(path, digest, stat.S_IMODE(st.st_mode), st.st_size)
    except FileNotFoundError:
        return None  # removed while we walked


def unchanged_since_scan(
    src: Path, path: str, cache: HashCache, st: os.stat_result | None = None
) -> bool:
    """Whether *path* still has the inode, size, mtime and ctime it was hashed with.

    :param st: its stat, if the caller has it (an ``fstat`` of the fd it read).

    .. versionadded:: 0.1
    """
    hit = cache.get(path)
    if hit is None:
        return False
    try:
        st = st or os.lstat(os.path.join(src, path))
    except OSError:
        return False
    return hit[:4] == stat_key(st)


_Read = tuple[bytes, tuple[bytes, os.stat_result] | None]


def _hash(full: str, path: str, recent: RecentReads, size: int) -> bytes:
    digest, kept = _read_hash(full, recent.fits(size), size)
    if kept is not None:
        recent.put(path, *kept)
    return digest


def _read_hash(full: str, keep: bool, size: int) -> _Read:
    # The hash, and the bytes if *keep*: the encoder sends these very bytes if the file
    # still has the stat taken after the read (which vouches for them).
    if not keep:
        with open(full, "rb") as f:
            return hashlib.file_digest(f, "sha256").digest(), None
    data, st = read_whole(full)
    # One that grew since the lstat could overrun the bound: not kept.
    return hashlib.sha256(data).digest(), (data, st) if len(data) <= size else None


def read_whole(path: str) -> tuple[bytes, os.stat_result]:
    """The bytes of the file *path*, and its ``fstat`` after the read (which vouches for them).

    .. versionadded:: 0.3
    """
    # os-level (pathlib's per-call overhead shows at 50,000 files).
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)  # a short read of a regular file is its end
        if len(data) > size:  # it grew since the fstat
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data, os.fstat(fd)
    finally:
        os.close(fd)
