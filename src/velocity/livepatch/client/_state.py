"""What the client last sent to each target, kept under ``.velocity/livepatch/``.

With it the client plans without asking the target for a file list; the agent's
token tells whether the target still holds exactly that. The JSON rows are kept
next to the tree, so saving after a one-file sync does not re-encode every entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from velocity.core.workdir import private_dir
from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.client._scan import HashCache
from velocity.livepatch.client._scan import Tree

__all__ = ["TargetState", "load_hashes", "load_state", "save_hashes", "save_state"]

Row = list[str | int | bool]
_LOG_MIN = 200  # appended records before the base file is rewritten, at the least
_LOG_PER_ROW = 50  # ... or one record per this many rows: a rewrite costs O(rows), so
# a bound that grows with the tree keeps its cost per sync the same for any tree size


@dataclass
class TargetState:
    """The target's tree as of the last sync, and the agent token that vouches for it.

    .. versionadded:: 0.1
    """

    url: str
    token: str = ""
    files: Tree = field(default_factory=dict)
    synced_at: float = 0.0
    rows: dict[str, Row] = field(default_factory=dict, repr=False)
    logged: int = field(default=-1, repr=False)  # records in the change log; -1: unknown

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.files):
            self.rows = {p: _row(f) for p, f in self.files.items()}

    def update(self, tree: Tree, changed: Iterable[str]) -> None:
        """*tree* is the new remote tree; only *changed* paths differ from the old one."""
        self.files = tree
        for path in changed:
            info = tree.get(path)
            if info is None:
                self.rows.pop(path, None)
            else:
                self.rows[path] = _row(info)


def _row(f: FileInfo) -> Row:
    return [f.sha256.hex(), f.mode, f.size, f.target, f.is_link]


def _path(state_dir: Path, url: str) -> Path:
    return state_dir / "targets" / (hashlib.sha256(url.encode()).hexdigest()[:20] + ".json")


def load_state(state_dir: Path, url: str) -> TargetState:
    """The saved state for *url* (base file plus its change log), or an empty one."""
    base = _path(state_dir, url)
    try:
        raw = json.loads(base.read_text(encoding="utf-8"))
        rows: dict[str, Row] = raw["files"]
        token, synced_at = str(raw.get("token", "")), float(raw.get("synced_at", 0))
        records = _log_records(base.with_suffix(".log"))
        for record in records:
            rows.update(record["set"])
            for path in record["del"]:
                rows.pop(path, None)
            token, synced_at = record["token"], record["at"]
        files = {
            p: FileInfo(p, bytes.fromhex(str(sha)), int(mode), int(size), str(target), bool(link))
            for p, (sha, mode, size, target, link) in rows.items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return TargetState(url)
    return TargetState(url, token, files, synced_at, rows, len(records))


def _log_records(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            break  # a line cut short by a crash: the token before it is still right
    return records


def save_state(state_dir: Path, state: TargetState, changed: Iterable[str] | None = None) -> None:
    """Persist *state*: append the *changed* paths to the log, or rewrite it all.

    A full rewrite happens when *changed* is None or the log has grown long.
    """
    state.synced_at = time.time()
    base = _path(state_dir, state.url)
    log = base.with_suffix(".log")
    limit = max(_LOG_MIN, len(state.rows) // _LOG_PER_ROW)
    if state.logged < 0:
        state.logged = _log_lines(log)
    if changed is not None and base.exists() and state.logged < limit:
        paths = list(changed)
        record = {
            "token": state.token,
            "at": state.synced_at,
            "set": {p: state.rows[p] for p in paths if p in state.rows},
            "del": [p for p in paths if p not in state.rows],
        }
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        state.logged += 1
        return
    data = {"url": state.url, "token": state.token, "synced_at": state.synced_at}
    head = json.dumps(data)[:-1]
    _write(base, f'{head}, "files": {json.dumps(state.rows)}}}')
    log.unlink(missing_ok=True)
    state.logged = 0


def _log_lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def load_hashes(state_dir: Path) -> HashCache:
    try:
        data = json.loads((state_dir / "hashes.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return HashCache()
    return HashCache(data) if isinstance(data, dict) else HashCache()


def save_hashes(state_dir: Path, cache: HashCache) -> None:
    if cache.dirty:
        _write(state_dir / "hashes.json", json.dumps(cache))
        cache.dirty = False


def _write(path: Path, text: str) -> None:
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
