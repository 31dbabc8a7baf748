"""Parse results cached under ``.velocity/`` by content hash; a bad cache is never trusted."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from velocity.depci.model import ParsedFile

__all__ = ["CACHE_FILE", "CacheStats", "ParseCache"]

#: Where the cache lives, relative to the repository root.
CACHE_FILE = ".velocity/depci.cache"
_FORMAT = "velocity-depci-cache"
_VERSION = 3
# The body is marshal (several times faster than JSON for the warm path); its format is
# tied to the interpreter, so the Python version is part of the header.
_MARSHAL = 4
_PYTHON = list(sys.version_info[:2])
_RACY_NS = 1_000_000_000


@dataclass
class CacheStats:
    """What one run did: files parsed, reused, hashed, resolved; was the cache thrown away.

    .. versionadded:: 0.1
    """

    parsed: int = 0
    reused: int = 0
    hashed: int = 0
    rebuilt: str | None = None
    resolved: int = 0


class ParseCache:
    """Maps (parser version, content hash) -> :class:`ParsedFile`, plus a stat cache per path.

    The file is a JSON header line (format tag, version, Python version, blake2b checksum of
    the body) and a marshal body; anything that doesn't check out (truncated, garbage, other
    version) is discarded whole and ``stats.rebuilt`` says why. Entries are decoded on
    first use; one that doesn't decode is dropped and re-parsed. ``graph`` holds the
    previous run's resolved edges (see :mod:`velocity.depci.linker`).

    .. versionadded:: 0.1
    """

    def __init__(self, root: Path, parser_versions: str) -> None:
        self.path = root / CACHE_FILE
        self.stats = CacheStats()
        self.graph: dict[str, Any] | None = None
        self._salt = parser_versions
        self._raw: dict[str, Any] = {}
        self._entries: dict[str, ParsedFile] = {}
        self._stat: dict[str, list[Any]] = {}
        self._used: set[str] = set()
        self._new_graph: dict[str, Any] | None = None
        self._dirty = False
        self._saved_ns = 0
        self._load()

    def lookup_hash(self, rel: str, st: os.stat_result) -> str | None:
        """The remembered content hash of *rel* if its size and mtime are unchanged.

        Like git's "racily clean" rule, a file modified within a second of the cache being
        written may have changed again in the same timestamp tick: it is hashed anew.
        """
        known = self._stat.get(rel)
        same = known is not None and known[0] == st.st_size and known[1] == st.st_mtime_ns
        if known is not None and same and st.st_mtime_ns < self._saved_ns - _RACY_NS:
            return str(known[2])
        return None

    def remember_hash(self, rel: str, st: os.stat_result, digest: str) -> None:
        """Store *rel*'s hash with its size and mtime for the next run."""
        self._stat[rel] = [st.st_size, st.st_mtime_ns, digest]
        self._dirty = True

    def has(self, key: str) -> bool:
        """Is there an entry for *key* (decoded or not)?"""
        return key in self._entries or key in self._raw

    def error_of(self, key: str) -> str | None:
        """The parse error stored for *key*, without decoding the whole entry."""
        hit = self._entries.get(key)
        if hit is not None:
            return hit.error
        error = self._raw[key].get("e") if isinstance(self._raw.get(key), dict) else None
        return error if isinstance(error, str) else None

    def get(self, key: str) -> ParsedFile | None:
        """The cached parse for *key*, decoding it on first use."""
        hit = self._entries.get(key)
        if hit is None and key in self._raw:
            try:
                hit = ParsedFile.from_json(self._raw.pop(key))
            except Exception as exc:
                self.stats.rebuilt = f"bad entry: {type(exc).__name__}"
                return None
            self._entries[key] = hit
        return hit

    def use(self, key: str) -> None:
        """Count a reuse of *key* and keep it for the next run."""
        self._used.add(key)
        self.stats.reused += 1

    def put(self, key: str, parsed: ParsedFile) -> None:
        """Store a fresh parse, counting it."""
        self._entries[key] = parsed
        self._raw.pop(key, None)
        self._used.add(key)
        self.stats.parsed += 1
        self._dirty = True

    def set_graph(self, section: dict[str, Any], changed: bool) -> None:
        """Keep *section* as the graph for the next run; *changed* forces a write."""
        self._new_graph = section
        self._dirty = self._dirty or changed

    def save(self, live_paths: set[str]) -> None:
        """Write the entries used in this run atomically (temp file + rename)."""
        stat = {k: v for k, v in self._stat.items() if k in live_paths}
        known = set(self._entries) | set(self._raw)
        if not self._dirty and len(stat) == len(self._stat) and self._used == known:
            return
        entries = {
            k: self._entries[k].to_json() if k in self._entries else self._raw[k]
            for k in sorted(self._used)
        }
        body = {"salt": self._salt, "entries": entries, "stat": stat, "graph": self._new_graph}
        raw = marshal.dumps(body, _MARSHAL)
        meta = {"format": _FORMAT, "version": _VERSION, "python": _PYTHON, "checksum": _digest(raw)}
        doc = json.dumps(meta).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _ignore_file(self.path.parent)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".depci-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(doc + b"\n" + raw)
        os.replace(tmp, self.path)

    def _load(self) -> None:
        try:
            head, raw = self.path.read_bytes().split(b"\n", 1)
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError, ValueError):
            self.stats.rebuilt = "unreadable"
            return
        try:
            self._decode(head, raw)
        except Exception as exc:
            self._raw, self._stat, self.graph = {}, {}, None
            self.stats.rebuilt = str(exc) or type(exc).__name__

    def _decode(self, head: bytes, raw: bytes) -> None:
        meta = json.loads(head)
        if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
            raise ValueError("other format or version")
        if meta.get("python") != _PYTHON:
            raise ValueError("written by another Python")
        if meta.get("checksum") != _digest(raw):
            raise ValueError("checksum mismatch")
        # Only a body whose checksum matches reaches marshal: the cache is the repository's own,
        # written by us, and guarded against corruption (not against someone forging it).
        body = marshal.loads(raw)  # noqa: S302
        if body.get("salt") != self._salt:
            raise ValueError("parser changed")
        if not isinstance(body["entries"], dict):
            raise TypeError("bad entries")
        stat = body["stat"]
        if not all(isinstance(v, list) and len(v) == 3 for v in stat.values()):
            raise ValueError("bad stat entry")
        graph = body.get("graph")
        self._raw, self._stat = body["entries"], stat
        self._saved_ns = self.path.stat().st_mtime_ns
        self.graph = graph if isinstance(graph, dict) else None


def content_hash(data: bytes) -> str:
    """blake2b (128-bit) of *data*, hex.

    .. versionadded:: 0.1
    """
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _ignore_file(directory: Path) -> None:
    # Keep the cache out of `git status` without asking users to edit their .gitignore.
    marker = directory / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")
