"""The batch journal: what a batch is about to do, so a crash can be undone or finished.

Protocol (a one-file batch costs five fsyncs; a big one two syncfs calls instead of
thousands of fsyncs):

1. ``staging`` record, rewritten as parts arrive (not flushed: losing it only leaves
   temp files behind);
2. temp files written, then flushed together at commit time;
3. ``committing`` record, flushed: from here on renames may happen;
4. renames (old files moved to backups), directories flushed;
5. backups removed; the journal is renamed to ``token`` (it carries the new token).

After a crash in step 4 every backup still exists and the batch is undone; once
step 5 has removed one backup the batch is known complete and is finished. The
decision is recorded (``undoing``/``finishing``) before acting on it, so a crash
during recovery resumes in the same direction.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

from velocity.livepatch.agent._durable import read_small
from velocity.livepatch.agent._durable import write_small
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._paths import open_dir

__all__ = [
    "Entry",
    "Journal",
    "finish",
    "read_journal",
    "read_token",
    "recover",
    "remove",
    "retire",
    "undo",
    "write_journal",
    "write_token",
]

JOURNAL = "journal.json"
_TOKEN_RE = re.compile(r'\{"token": "([0-9a-f]+)"')
TOKEN = "token"
STAGING = "staging"
COMMITTING = "committing"
UNDOING = "undoing"
FINISHING = "finishing"


@dataclass
class Entry:
    """One name a batch replaces (``tmp`` set) or deletes (``tmp`` is None)."""

    dir: list[str]
    name: str
    tmp: str | None
    bak: str | None  # set when the name existed at plan time


@dataclass
class Journal:
    batch: str
    token: str
    state: str = STAGING
    mkdirs: list[list[str]] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)  # appended to, never changed
    # The JSON of entries[:encoded], in pieces: a batch in parts rewrites its journal
    # after each part, and encodes each entry once.
    _json: list[str] = field(default_factory=list, repr=False, compare=False)
    _encoded: int = field(default=0, repr=False, compare=False)


def write_journal(state_fd: int, journal: Journal, state: str, *, durable: bool = True) -> None:
    journal.state = state
    if journal._encoded < len(journal.entries):
        # By hand: dataclasses.asdict deep-copies, which costs more than the I/O.
        new = [[e.dir, e.name, e.tmp, e.bak] for e in journal.entries[journal._encoded :]]
        journal._json.append(json.dumps(new)[1:-1])
        journal._encoded = len(journal.entries)
    head = {
        "token": journal.token,  # first: read_token reads only the head of a big journal
        "batch": journal.batch,
        "state": journal.state,
        "mkdirs": journal.mkdirs,
    }
    entries = ", ".join(journal._json)
    data = f'{json.dumps(head)[:-1]}, "entries": [{entries}]}}'.encode()
    write_small(state_fd, JOURNAL, data, durable=durable)


def read_journal(state_fd: int) -> Journal | None:
    try:
        raw = json.loads(read_small(state_fd, JOURNAL))
    except FileNotFoundError:
        return None
    entries = [Entry(*e) for e in raw.pop("entries")]
    return Journal(entries=entries, **raw)


def retire(state_fd: int) -> None:
    """The batch is complete: its journal becomes the token record, in one rename."""
    os.rename(JOURNAL, TOKEN, src_dir_fd=state_fd, dst_dir_fd=state_fd)
    os.fsync(state_fd)


def read_token(state_fd: int) -> str:
    fd = os.open(TOKEN, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=state_fd)
    try:
        head = os.read(fd, 256).decode("ascii", "replace")
    finally:
        os.close(fd)
    found = _TOKEN_RE.match(head)
    if found is None:
        raise ValueError("no token in the token file")
    return found.group(1)


def write_token(state_fd: int, token: str) -> None:
    write_small(state_fd, TOKEN, json.dumps({"token": token}).encode(), durable=True)


def recover(root_fd: int, state_fd: int, journal: Journal) -> None:
    """Undo or finish the batch a crash interrupted."""
    if journal.state == STAGING:
        undo(root_fd, journal)
    elif journal.state == FINISHING or (
        journal.state == COMMITTING and _any_finished(root_fd, journal)
    ):
        write_journal(state_fd, journal, FINISHING)
        finish(root_fd, journal)
    else:
        write_journal(state_fd, journal, UNDOING)
        undo(root_fd, journal)
    remove(state_fd)


def remove(state_fd: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(JOURNAL, dir_fd=state_fd)
    os.fsync(state_fd)


def undo(root_fd: int, journal: Journal) -> None:
    """Put back the old files of an unfinished batch, then drop its temp files and new dirs."""
    renamed = journal.state != STAGING
    for entry in reversed(journal.entries):
        with _entry_dir(root_fd, entry) as d:
            if d is not None:
                _undo_entry(d, entry, renamed)
                os.fsync(d)
    _remove_new_dirs(root_fd, journal.mkdirs)


Keep = Callable[[int, Entry, int], None]  # (dir fd, entry, index): moves a backup away


def finish(
    root_fd: int,
    journal: Journal,
    on_step: Callable[[str], None] | None = None,
    keep: Keep | None = None,
) -> None:
    """A committed batch: remove the backups (or *keep* them), then dirs its deletes emptied."""
    for n, entry in enumerate(journal.entries):
        if entry.bak is None:
            continue
        with _entry_dir(root_fd, entry) as d:
            if d is not None and keep is not None and _exists(d, entry.bak):
                keep(d, entry, n)
            elif d is not None:
                _unlink(d, entry.bak)
        if on_step is not None:
            on_step(f"finish:{n}")
    emptied = {tuple(e.dir) for e in journal.entries if e.tmp is None and e.dir}
    _prune_empty(root_fd, emptied)


@contextlib.contextmanager
def _entry_dir(root_fd: int, entry: Entry) -> Iterator[int | None]:
    # None when the batch never got as far as creating this directory.
    try:
        d = open_dir(root_fd, tuple(entry.dir))
    except (FileNotFoundError, PathError):
        yield None
        return
    try:
        yield d
    finally:
        os.close(d)


def _exists(d: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=d, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _unlink(d: int, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=d)


def _any_finished(root_fd: int, journal: Journal) -> bool:
    # Renames never remove a backup; only step 5 does. A missing backup whose entry was
    # fully renamed (temp gone, or deleted name gone) therefore means the batch completed.
    for entry in journal.entries:
        if entry.bak is None:
            continue
        with _entry_dir(root_fd, entry) as d:
            if d is not None and _finished(d, entry):
                return True
    return False


def _finished(d: int, entry: Entry) -> bool:
    assert entry.bak is not None
    if _exists(d, entry.bak):
        return False
    return not _exists(d, entry.tmp if entry.tmp is not None else entry.name)


def _undo_entry(d: int, entry: Entry, renamed: bool) -> None:
    if entry.bak is not None and _exists(d, entry.bak):
        # The old file was moved aside: moving it back also drops any new file there.
        os.rename(entry.bak, entry.name, src_dir_fd=d, dst_dir_fd=d)
    elif _created_here(d, entry, renamed):
        os.unlink(entry.name, dir_fd=d)
    if entry.tmp is not None:
        _unlink(d, entry.tmp)


def _created_here(d: int, entry: Entry, renamed: bool) -> bool:
    # A name that did not exist before, whose temp file was already renamed into place.
    if entry.bak is not None or entry.tmp is None or not renamed:
        return False
    return not _exists(d, entry.tmp) and _exists(d, entry.name)


def _remove_new_dirs(root_fd: int, mkdirs: list[list[str]]) -> None:
    for parts in sorted(mkdirs, key=len, reverse=True):
        try:
            parent = open_dir(root_fd, tuple(parts[:-1]))
        except (FileNotFoundError, PathError):
            continue
        try:
            with contextlib.suppress(OSError):
                os.rmdir(parts[-1], dir_fd=parent)
        finally:
            os.close(parent)


def _prune_empty(root_fd: int, dirs: set[tuple[str, ...]]) -> None:
    for parts in sorted(dirs, key=len, reverse=True):
        for depth in range(len(parts), 0, -1):
            try:
                parent = open_dir(root_fd, parts[: depth - 1])
            except (FileNotFoundError, PathError):
                break
            try:
                os.rmdir(parts[depth - 1], dir_fd=parent)
            except OSError:
                break  # not empty (or gone): its parents are not empty either
            finally:
                os.close(parent)
