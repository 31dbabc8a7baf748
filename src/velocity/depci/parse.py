"""Per-language parsers, registered by file extension in a plain dict."""

from __future__ import annotations

import contextlib
import importlib
import marshal
import os
import threading
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import NamedTuple
from typing import Protocol
from typing import TypeAlias

from velocity.depci.model import ParsedFile

__all__ = [
    "PARSERS",
    "Encoded",
    "LanguageParser",
    "LazyParser",
    "ParseJob",
    "language_of",
    "parse_all",
    "parse_source",
]

#: ``(path, cache key, source, strict)``: one file for :func:`parse_all`.
ParseJob: TypeAlias = tuple[str, str, bytes, bool]
# Below this many files a process pool costs more (start-up, pickling) than it saves.
POOL_THRESHOLD = 300
_CHUNK = 64
# Workers are forked (they inherit the jobs and the loaded grammars): not on Windows.
_FORK = hasattr(os, "fork")


class LanguageParser(Protocol):
    """Turns one file's bytes into a :class:`~velocity.depci.model.ParsedFile`.

    .. versionadded:: 0.1
    """

    #: Part of the cache key: bump it when the parser's output changes.
    version: str

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        """Parse *source* (the file's bytes); *suffix* is its extension, e.g. ``.tsx``.

        *strict* asks for the full parse with syntax errors reported (changed files); without
        it a parser may take a quicker path that finds the same imports or more.
        """
        ...


class LazyParser:
    """A :class:`LanguageParser` imported on first use, so a warm run never loads grammars.

    :param target: ``"package.module:ClassName"`` of the real parser.
    :param version: must equal the real parser's ``version``.

    .. versionadded:: 0.1
    """

    def __init__(self, target: str, version: str) -> None:
        self.target = target
        self.version = version
        self._real: LanguageParser | None = None

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        """Load the real parser once, then delegate to it."""
        if self._real is None:
            module, _, name = self.target.partition(":")
            self._real = getattr(importlib.import_module(module), name)()
            assert self._real.version == self.version, self.target
        return self._real.parse(source, suffix, strict=strict)


class _PythonFirst:
    # Python: a full parse (a changed file) by Python's own parser, with no grammar to load;
    # tree-sitter for the quick pass and for files Python rejects.
    version = "py-3"

    def __init__(self) -> None:
        self.tree_sitter = LazyParser("velocity.depci.parse_python:PythonParser", self.version)

    def parse(self, source: bytes, suffix: str, *, strict: bool = False) -> ParsedFile:
        # Past about this size ast's parse costs more than loading the grammar saves.
        if strict and len(source) <= 96 * 1024:
            from velocity.depci.parse_python_ast import ast_parse

            result = ast_parse(source)
            if result is not None:
                return result
        return self.tree_sitter.parse(source, suffix, strict=strict)


_PY = _PythonFirst()
_JS = LazyParser("velocity.depci.parse_js:JsParser", "js-1")

#: Extension (with the dot) -> parser. Add a language by adding an entry.
PARSERS: dict[str, LanguageParser] = {
    ".py": _PY,
    **dict.fromkeys((".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"), _JS),
}


def language_of(path: str) -> LanguageParser | None:
    """The parser registered for *path*'s extension, or ``None``.

    .. versionadded:: 0.1
    """
    return PARSERS.get(PurePosixPath(path).suffix)


def parse_source(path: str, source: bytes, *, strict: bool = True) -> ParsedFile | None:
    """Parse *source* as the language of *path*; ``None`` when no parser handles it.

    :param strict: see :meth:`LanguageParser.parse`.

    .. versionadded:: 0.1
    """
    parser = language_of(path)
    suffix = PurePosixPath(path).suffix
    return None if parser is None else parser.parse(source, suffix, strict=strict)


class Encoded(NamedTuple):
    """A parse result as a worker process sends it: cheaper to move than a ParsedFile.

    .. versionadded:: 0.2
    """

    error: str | None
    blob: bytes

    def decode(self) -> ParsedFile:
        """The :class:`ParsedFile`; raises when the blob is malformed."""
        return ParsedFile.from_json(marshal.loads(self.blob))  # noqa: S302 - our own bytes


def parse_all(jobs: Sequence[ParseJob]) -> Sequence[ParsedFile | Encoded]:
    """Parse every job, in order; in worker processes when there are many and CPUs to spare.

    Results from workers come :class:`Encoded` (decoded on first use). A pool that can't
    start or breaks falls back to parsing here: never a result less.

    .. versionadded:: 0.2
    """
    workers = min(_cpus(), 4)
    # Forking a process that runs other threads (a host like xdist's) could copy a held lock.
    if len(jobs) < POOL_THRESHOLD or workers < 2 or threading.active_count() > 1 or not _FORK:
        return _parse_chunk(jobs)
    # This process parses its share too (which loads the grammars before the fork, so the
    # workers share them), while workers - 1 others parse the rest.
    mine = jobs[: max(_CHUNK, len(jobs) // workers)]
    first: list[ParsedFile | Encoded] = list(_parse_chunk(mine[:_CHUNK]))
    rest = jobs[len(mine) :]
    chunks = [rest[i : i + _CHUNK] for i in range(0, len(rest), _CHUNK)]
    try:
        return first + _in_pool(chunks, workers - 1, mine[_CHUNK:])
    except (OSError, RuntimeError, ImportError):
        return first + _parse_chunk(jobs[_CHUNK:])


def _in_pool(
    chunks: list[Sequence[ParseJob]], workers: int, here: Sequence[ParseJob]
) -> list[ParsedFile | Encoded]:
    # Forked children, each given its share of *chunks* by inheritance (nothing pickled, no
    # executor), send their results back through a pipe, while this process parses *here*.
    size = -(-len(chunks) // workers)
    shares = [chunks[i : i + size] for i in range(0, len(chunks), size)]
    children: list[tuple[int, int]] = []
    try:
        for share in shares:
            children.append(_fork(share))
        ours: list[ParsedFile | Encoded] = list(_parse_chunk(here))
        theirs = [r for pid, fd in children for r in _collect(pid, fd)]
    finally:
        for pid, fd in children:  # after a failure: don't leave a child blocked on its pipe
            _reap(pid, fd)
    return ours + theirs


def _fork(share: list[Sequence[ParseJob]]) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its results are checked in the parent
        status = 1
        try:
            os.close(read)
            blob = marshal.dumps([list(r) for chunk in share for r in _encode_chunk(chunk)], 4)
            with os.fdopen(write, "wb") as fh:
                fh.write(blob)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _collect(pid: int, fd: int) -> list[Encoded]:
    with os.fdopen(os.dup(fd), "rb") as fh:
        data = fh.read()
    if os.waitpid(pid, 0)[1] != 0:
        raise RuntimeError("a parse worker failed")
    return [Encoded(error, blob) for error, blob in marshal.loads(data)]  # noqa: S302


def _reap(pid: int, fd: int) -> None:
    os.close(fd)
    with contextlib.suppress(ChildProcessError):  # already collected
        os.waitpid(pid, 0)


def _parse_chunk(jobs: Sequence[ParseJob]) -> list[ParsedFile]:
    return [
        parse_source(rel, source, strict=strict) or ParsedFile() for rel, _, source, strict in jobs
    ]


def _encode_chunk(jobs: Sequence[ParseJob]) -> list[Encoded]:
    # marshal of plain lists: pickling the named tuples would cost more than the parse saves.
    return [Encoded(r.error, marshal.dumps(r.to_json(), 4)) for r in _parse_chunk(jobs)]


def _cpus() -> int:
    # The CPUs this process may run on. The load average isn't consulted: on a shared 2-CPU
    # machine at load ~8 the forked worker cost ~20 % more CPU for about the same wall time,
    # a small loss beside what it saves whenever a CPU is free.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
