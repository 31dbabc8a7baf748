"""Parse results cached under ``.velocity/`` by content hash; a bad cache is never trusted."""

from __future__ import annotations

import json
import marshal
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from _blake2 import blake2b  # hashlib's own blake2b, without loading OpenSSL (~3 ms)
except ImportError:  # pragma: no cover - not CPython
    from hashlib import blake2b

from velocity.core.workdir import private_dir
from velocity.depci.model import ParsedFile

__all__ = ["CACHE_FILE", "JOURNAL_FILE", "CacheStats", "ParseCache"]

#: Where the cache lives, relative to the repository root.
CACHE_FILE = ".velocity/depci.cache"
#: What runs since the cache file was written changed, appended one record per run.
JOURNAL_FILE = ".velocity/depci.journal"
_FORMAT = "velocity-depci-cache"
_VERSION = 4
# The body is marshal (several times faster than JSON for the warm path); its format is
# tied to the interpreter, so the Python version is part of the header.
_MARSHAL = 4
_PYTHON = list(sys.version_info[:2])
_RACY_NS = 1_000_000_000
_GRAPH_PARTS = ("digests", "edges", "surface")
# A journal record: payload length (8 bytes, little-endian), then the chained checksum.
_LEN, _SUM = 8, 16
# The journal is folded into the cache file once past a quarter of it, or this.
_SMALLEST_JOURNAL = 1 << 16


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

    The cache file is a JSON header line (format tag, version, Python version, blake2b
    checksum of the body) and a marshal body. A run that changes little appends a record of
    what it changed to the journal instead of rewriting the file; each record's checksum
    covers the previous one's (the first covers the cache file's), so a journal that is torn,
    reordered or belongs to another cache file fails. Anything that doesn't check out
    (truncated, garbage, other version) is discarded whole and ``stats.rebuilt`` says why.
    Entries are stored separately encoded and decoded on first use; one that doesn't decode
    is dropped and re-parsed. ``graph`` holds the previous run's resolved edges (see
    :mod:`velocity.depci.linker`).

    .. versionadded:: 0.1
    """

    def __init__(self, root: Path, parser_versions: str) -> None:
        self.path = root / CACHE_FILE
        self.journal = root / JOURNAL_FILE
        self.stats = CacheStats()
        self.graph: dict[str, Any] | None = None
        self._salt = parser_versions
        self._raw: dict[str, Any] = {}
        self._entries: dict[str, ParsedFile] = {}
        self._stat: dict[str, list[Any]] = {}
        self._used: set[str] = set()
        self._new: dict[str, list[Any]] = {}
        self._restat: set[str] = set()
        self._new_graph: dict[str, Any] | None = None
        self._dirty = False
        self._saved_ns = 0
        self._tip: bytes | None = None  # checksum of the last valid record (None: no base)
        self._sizes = (0, 0)  # cache file, journal
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
        entry = [st.st_size, st.st_mtime_ns, digest]
        if self._stat.get(rel) != entry:
            self._stat[rel] = entry
            self._restat.add(rel)
            self._dirty = True

    def has(self, key: str) -> bool:
        """Is there an entry for *key* (decoded or not)?"""
        return key in self._entries or key in self._raw

    def error_of(self, key: str) -> str | None:
        """The parse error stored for *key*, without decoding the whole entry."""
        hit = self._entries.get(key)
        if hit is not None:
            return hit.error
        raw = self._raw.get(key)
        error = raw[0] if isinstance(raw, list) and len(raw) == 2 else None
        return error if isinstance(error, str) else None

    def get(self, key: str) -> ParsedFile | None:
        """The cached parse for *key*, decoding it on first use."""
        hit = self._entries.get(key)
        if hit is None and key in self._raw:
            try:
                hit = ParsedFile.from_json(marshal.loads(self._raw[key][1]))  # noqa: S302
            except Exception as exc:
                self._raw.pop(key)
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
        self._raw[key] = self._new[key] = _encode(parsed)
        self._used.add(key)
        self.stats.parsed += 1
        self._dirty = True

    def put_encoded(self, key: str, error: str | None, blob: bytes) -> None:
        """Store a fresh parse already encoded (by a worker process), counting it."""
        self._raw[key] = self._new[key] = [error, blob]
        self._entries.pop(key, None)
        self._used.add(key)
        self.stats.parsed += 1
        self._dirty = True

    def set_graph(self, section: dict[str, Any], changed: bool) -> None:
        """Keep *section* as the graph for the next run; *changed* forces a write."""
        self._new_graph = section
        self._dirty = self._dirty or changed

    def save(self, live_paths: set[str]) -> None:
        """Append what this run changed to the journal, or rewrite the cache file.

        The cache file is written atomically (temp file + rename) with only the entries
        used in this run, when there is no valid one yet, when the graph's key changed, or
        when the journal has grown to a quarter of it.
        """
        gone = [k for k in self._stat if k not in live_paths]
        if not self._dirty and not gone:
            return
        for rel in gone:
            del self._stat[rel]
        delta = self._delta(gone)
        payload = marshal.dumps(delta, _MARSHAL) if delta is not None else b""
        grown = self._sizes[1] + len(payload) > max(self._sizes[0] // 4, _SMALLEST_JOURNAL)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if delta is None or self._tip is None or grown:
            self._rewrite()
        else:
            self._append(payload, self._tip)

    def _delta(self, gone: list[str]) -> dict[str, Any] | None:
        # What changed since the load, or None when only a full rewrite can say it.
        old, new = self.graph, self._new_graph
        if old is None or new is None or old.get("key") != new.get("key"):
            return None
        if not all(isinstance(old.get(p), dict) for p in _GRAPH_PARTS):
            return None
        graph = {}
        for part in _GRAPH_PARTS:
            before, after = old[part], new[part]
            changed = {k: v for k, v in after.items() if before.get(k) != v}
            graph[part] = [changed, [k for k in before if k not in after]]
        stat = {k: self._stat[k] for k in self._restat if k in self._stat}
        return {"entries": self._new, "stat": [stat, gone], "graph": graph}

    def _rewrite(self) -> None:
        entries = {k: self._raw[k] for k in sorted(self._used) if k in self._raw}
        body = {
            "salt": self._salt,
            "entries": entries,
            "stat": self._stat,
            "graph": self._new_graph,
        }
        raw = marshal.dumps(body, _MARSHAL)
        meta = {"format": _FORMAT, "version": _VERSION, "python": _PYTHON, "checksum": _hex(raw)}
        # Imported here: most runs only append to the journal, and tempfile costs a few ms.
        import tempfile

        private_dir(self.path.parent)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".depci-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(meta).encode() + b"\n" + raw)
        # Journal first: a crash in between leaves the old cache file, whole and consistent.
        self.journal.unlink(missing_ok=True)
        os.replace(tmp, self.path)

    def _append(self, payload: bytes, tip: bytes) -> None:
        record = len(payload).to_bytes(_LEN, "little") + _chain(tip, payload) + payload
        # One write on an O_APPEND descriptor; a torn or interleaved record fails its checksum.
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, record)
        finally:
            os.close(fd)

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
            self._replay()
        except Exception as exc:
            self._raw, self._stat, self.graph, self._tip = {}, {}, None, None
            self.stats.rebuilt = str(exc) or type(exc).__name__

    def _decode(self, head: bytes, raw: bytes) -> None:
        meta = json.loads(head)
        if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
            raise ValueError("other format or version")
        if meta.get("python") != _PYTHON:
            raise ValueError("written by another Python")
        checksum = _hex(raw)
        if meta.get("checksum") != checksum:
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
        self._tip, self._sizes = bytes.fromhex(checksum), (len(raw), 0)

    def _replay(self) -> None:
        # Apply the journal's records in order; any flaw discards the whole cache.
        try:
            data = self.journal.read_bytes()
            mtime = self.journal.stat().st_mtime_ns
        except FileNotFoundError:
            return
        tip, at = self._tip, 0
        assert tip is not None
        while at < len(data):
            size = int.from_bytes(data[at : at + _LEN], "little")
            checksum = data[at + _LEN : at + _LEN + _SUM]
            payload = data[at + _LEN + _SUM : at + _LEN + _SUM + size]
            if len(payload) != size or _chain(tip, payload) != checksum:
                raise ValueError("journal: torn or foreign record")
            self._apply(marshal.loads(payload))  # noqa: S302 - checksummed, see _decode
            tip, at = checksum, at + _LEN + _SUM + size
        self._tip, self._sizes = tip, (self._sizes[0], len(data))
        self._saved_ns = max(self._saved_ns, mtime)

    def _apply(self, delta: dict[str, Any]) -> None:
        if not isinstance(delta["entries"], dict):
            raise TypeError("bad entries")
        self._raw.update(delta["entries"])
        stat, gone = delta["stat"]
        if not all(isinstance(v, list) and len(v) == 3 for v in stat.values()):
            raise ValueError("bad stat entry")
        self._stat.update(stat)
        for rel in gone:
            self._stat.pop(rel, None)
        graph = self.graph
        if graph is None:
            raise ValueError("journal: no graph to apply to")
        for part in _GRAPH_PARTS:
            changed, dropped = delta["graph"][part]
            graph[part].update(changed)
            for key in dropped:
                graph[part].pop(key, None)


def content_hash(data: bytes) -> str:
    """blake2b (128-bit) of *data*, hex.

    .. versionadded:: 0.1
    """
    return blake2b(data, digest_size=16).hexdigest()


def _encode(parsed: ParsedFile) -> list[Any]:
    # The error apart, so that listing errors never decodes an entry.
    return [parsed.error, marshal.dumps(parsed.to_json(), _MARSHAL)]


def _hex(raw: bytes) -> str:
    return blake2b(raw, digest_size=16).hexdigest()


def _chain(tip: bytes, payload: bytes) -> bytes:
    return blake2b(tip + payload, digest_size=_SUM).digest()
