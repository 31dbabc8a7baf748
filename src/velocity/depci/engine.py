"""Build the dependency graph of a repository: list, parse (cached), resolve, link."""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from velocity.depci.cache import CacheStats
from velocity.depci.cache import ParseCache
from velocity.depci.cache import content_hash
from velocity.depci.files import is_test_file
from velocity.depci.files import list_files
from velocity.depci.graph import Graph
from velocity.depci.linker import link
from velocity.depci.model import ParsedFile
from velocity.depci.parse import PARSERS
from velocity.depci.parse import Encoded
from velocity.depci.parse import ParseJob as _Job
from velocity.depci.parse import parse_all
from velocity.depci.parse import parse_source
from velocity.depci.pyroots import detect_python_roots

if TYPE_CHECKING:
    from velocity.depci.rules import Rules

__all__ = ["Analysis", "build_graph"]


@dataclass
class Analysis:
    """A repository's graph and what building it found.

    :param files: every repo-relative file (not ignored by git).
    :param parsed: parse results of the code files, decoded from the cache on first access.
    :param errors: files that failed to parse -> the first error ("unknown" files). Known
        for files parsed in full: JS/TS always, Python when changed (``check``) or when the
        quick pass handed the file over.
    :param tests: the test files, sorted.

    .. versionadded:: 0.1
    """

    root: Path
    rules: Rules
    graph: Graph
    files: list[str]
    parsed: Mapping[str, ParsedFile]
    errors: dict[str, str]
    tests: list[str]
    python_roots: list[str]
    stats: CacheStats = field(default_factory=CacheStats)


def build_graph(
    root: Path,
    rules: Rules | None = None,
    *,
    missing: Iterable[str] = (),
    check: Iterable[str] = (),
    use_cache: bool = True,
) -> Analysis:
    """Parse and resolve every code file under *root* into an :class:`Analysis`.

    :param rules: defaults to :func:`~velocity.depci.rules.load_rules` of *root*.
    :param missing: repo-relative paths that no longer exist (deleted or renamed away) but
        should still resolve, so that their former importers keep their edges.
    :param check: paths to parse in full even when a quick pass would do, so that their
        syntax errors are reported: the changed files.
    :param use_cache: read and write ``.velocity/depci-cache.json``.

    .. versionadded:: 0.1
    """
    root = root.resolve()
    rules = rules if rules is not None else _load_rules(root)
    files = list_files(root)
    versions = ",".join(sorted({p.version for p in PARSERS.values()}))
    cache = ParseCache(root, versions) if use_cache else None
    parsed = _Parsed(root, cache)
    parsed.add_all(files, set(check))
    roots = _python_roots(root, rules, files)
    previous = cache.graph if cache is not None else None
    known = set(files) | set(missing)
    graph, section, resolved = link(
        root,
        known,
        parsed,
        parsed.keys_by_path,
        roots,
        rules.symbol_precision,
        previous,
        keep=cache is not None,
    )
    stats = CacheStats(parsed=len(parsed), resolved=resolved)
    if cache is not None:
        cache.set_graph(section, changed=resolved > 0)
        cache.save(set(files))
        stats = cache.stats
        stats.resolved = resolved
    tests = sorted(f for f in files if is_test_file(f))
    return Analysis(root, rules, graph, files, parsed, parsed.errors(), tests, roots, stats)


def _load_rules(root: Path) -> Rules:
    # Imported here: a no-change run never builds a graph, so never reads the rules.
    from velocity.depci.rules import load_rules

    return load_rules(root)


def _python_roots(root: Path, rules: Rules, files: list[str]) -> list[str]:
    if rules.python_roots is not None:
        return list(rules.python_roots)
    return detect_python_roots(root, files)


class _Parsed(Mapping[str, ParsedFile]):
    # Parse results by path, decoded from the cache only when resolution asks for one.
    def __init__(self, root: Path, cache: ParseCache | None) -> None:
        self.root, self.cache, self.base = root, cache, str(root)
        self.keys_by_path: dict[str, str] = {}
        self._fresh: dict[str, ParsedFile] = {}
        self._encoded: dict[str, Encoded] = {}

    def add_all(self, files: list[str], strict: set[str]) -> None:
        jobs: list[_Job] = []
        queued: dict[str, bool] = {}
        for rel in files:
            if "." in rel and rel[rel.rfind(".") :] in PARSERS:
                job = self.add(rel, rel in strict)
                if job is None:
                    continue
                if self.cache is not None and job[1] in queued and queued[job[1]] >= job[3]:
                    self.cache.use(job[1])  # same content as a file already queued
                    continue
                queued[job[1]] = job[3]
                jobs.append(job)
        for (rel, key, _, _), result in zip(jobs, parse_all(jobs), strict=True):
            if isinstance(result, ParsedFile):
                self._fresh[rel] = result
                if self.cache is not None:
                    self.cache.put(key, result)
            else:
                self._encoded[rel] = result
                if self.cache is not None:
                    self.cache.put_encoded(key, result.error, result.blob)

    def add(self, rel: str, strict: bool) -> _Job | None:
        try:
            digest, data = _digest(os.path.join(self.base, rel), rel, self.cache)
            key = self.keys_by_path[rel] = f"{rel[rel.rfind('.') :]}:{digest}"
            cache = self.cache
            if cache is not None and cache.has(key):
                hit = cache.get(key) if strict else None
                if not strict or (hit is not None and hit.checked):
                    cache.use(key)
                    return None
            source = data if data is not None else (self.root / rel).read_bytes()
        except OSError as exc:
            self.keys_by_path[rel] = f"unreadable:{rel}"
            self._fresh[rel] = ParsedFile(error=f"unreadable: {exc.strerror}")
            return None
        return rel, key, source, strict

    def _parse(self, rel: str, key: str, data: bytes | None, strict: bool) -> ParsedFile:
        source = data if data is not None else (self.root / rel).read_bytes()
        result = parse_source(rel, source, strict=strict) or ParsedFile()
        self._fresh[rel] = result
        if self.cache is not None:
            self.cache.put(key, result)
        return result

    def __getitem__(self, rel: str) -> ParsedFile:
        hit = self._fresh.get(rel)
        if hit is None and rel in self._encoded:
            hit = self._fresh[rel] = self._encoded.pop(rel).decode()
        if hit is None:
            key = self.keys_by_path[rel]
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is None:  # an entry that didn't decode: never trusted, parsed again
                hit = self._parse(rel, key, None, False)
            self._fresh[rel] = hit
        return hit

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_by_path)

    def __len__(self) -> int:
        return len(self.keys_by_path)

    def errors(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for rel, key in self.keys_by_path.items():
            fresh = self._fresh.get(rel) or self._encoded.get(rel)
            error = fresh.error if fresh is not None else self.cache and self.cache.error_of(key)
            if error:
                out[rel] = error
        return out


def _digest(path: str, rel: str, cache: ParseCache | None) -> tuple[str, bytes | None]:
    # The content hash, from the stat cache when size and mtime match (then no read at all).
    if cache is None:
        # Nothing is stored, so nothing needs a content key: the path is one, for free.
        with open(path, "rb") as fh:
            return f"path:{rel}", fh.read()
    st = os.stat(path)
    known = cache.lookup_hash(rel, st)
    if known is not None:
        return known, None
    with open(path, "rb") as fh:
        data = fh.read()
    digest = content_hash(data)
    cache.stats.hashed += 1
    cache.remember_hash(rel, st, digest)
    return digest, data
