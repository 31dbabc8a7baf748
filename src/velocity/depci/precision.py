"""Coverage precision: narrow the static selection with what each test executed when recorded.

For every changed file (and every recorded file whose content differs from the record), the
record of that file is compared block by block (:mod:`velocity.depci.blocks`) with both the
base version and the work tree. When only function bodies differ, the tests whose record
executed one of those functions are selected (test by test). Anything else falls back to the
static graph for that file: a module-level change, a file added, deleted or not recorded, a
test file or conftest, a parse failure, a function not measurable or shared between tests.
The union over the files is the selection; tests the records know nothing of, and opaque
ones (failed or started a process when recorded), run whenever the static graph selects them.

.. versionadded:: 0.2
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from velocity.depci.blocks import parse_blocks
from velocity.depci.coverage_store import FileRecord
from velocity.depci.coverage_store import Store
from velocity.depci.coverage_store import blob_id
from velocity.depci.files import is_test_file
from velocity.depci.selection import select

if TYPE_CHECKING:
    from velocity.depci.engine import Analysis

__all__ = ["Narrowing", "narrow"]


@dataclass
class Narrowing:
    """How coverage records narrowed a static selection.

    :param files: the test files to collect; None when the records narrowed nothing (every
        examined file fell back to the graph, or the graph then runs everything).
    :param deselect: recorded tests (``path::nodeid`` keys) in those files not to run.
    :param chosen: per test file collected for some of its tests only: those tests.
    :param notes: per examined file: how it was handled.
    :param source: which records ("recorded 2026-11-26T16:00:00+00:00 at 1a2b3c4").

    .. versionadded:: 0.2
    """

    files: list[str] | None
    deselect: set[str] = field(default_factory=set)
    chosen: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    source: str = ""


class _Fallback(Exception):
    pass


def narrow(
    analysis: Analysis, changed: list[str], static: list[str], merge_base: str, store: Store
) -> Narrowing:
    """Narrow *static* (the test files the graph selects for *changed*) with *store*.

    .. versionadded:: 0.2
    """
    root = analysis.root
    base_blobs = _tree(root, merge_base)
    examine = set(changed)
    for path, blob in store.blobs().items():
        if base_blobs.get(path, blob) != blob and (root / path).exists():
            examine.add(path)  # the record is of another version than the base
    notes: dict[str, str] = {}
    fallback: list[str] = []
    keys: set[str] = set()
    for path in sorted(examine):
        if analysis.rules.ignored(path):
            continue
        try:
            found = _examine(analysis, store, path, merge_base if path in base_blobs else None)
        except _Fallback as why:
            notes[path] = f"static graph: {why}"
            fallback.append(path)
            continue
        keys |= found
        notes[path] = f"coverage: {len(found)} recorded tests executed the changed functions"
    if len(fallback) == len(examine):
        return Narrowing(None, notes=notes, source=_source(store))
    # An unparsable file's imports are unknown: the graph treats it as always affected.
    fallback += [bad for bad in sorted(analysis.errors) if bad not in examine]
    return _combine(analysis, store, fallback, keys, static, notes)


def _combine(
    analysis: Analysis,
    store: Store,
    fallback: list[str],
    keys: set[str],
    static: list[str],
    notes: dict[str, str],
) -> Narrowing:
    sel = select(analysis, fallback)
    if sel.run_all:
        return Narrowing(None, notes=notes, source=_source(store))
    whole = set(sel.tests)
    present = set(analysis.tests)
    chosen: dict[str, set[str]] = {}
    for key in keys:
        chosen.setdefault(key.partition("::")[0], set()).add(key)
    deselect: set[str] = set()
    for test_file in sorted(set(static) | set(chosen)):
        if test_file in whole or test_file not in present:
            continue
        recorded = store.tests_in(test_file)
        if test_file in static:  # opaque tests can't be vouched for by their record
            chosen.setdefault(test_file, set()).update(k for k, o in recorded.items() if o)
        picked = chosen.get(test_file, set())
        if not picked and store.complete(test_file):
            chosen.pop(test_file, None)
            continue
        chosen.setdefault(test_file, set())
        deselect.update(k for k in recorded if k not in picked)
    files = sorted(whole | {f for f in chosen if f in present})
    shown = {f: sorted(v) for f, v in chosen.items() if f not in whole and f in present}
    return Narrowing(files, deselect, shown, notes, _source(store))


def _examine(analysis: Analysis, store: Store, path: str, base: str | None) -> set[str]:
    if not path.endswith(".py"):
        raise _Fallback("not a Python module")
    if is_test_file(path) or path.rpartition("/")[2] == "conftest.py":
        raise _Fallback("a test file or conftest.py")
    if analysis.rules.extra_tests(path, analysis.tests) is not None:
        raise _Fallback("an extra_deps rule names it")
    if store.meta.get("spawned_shared") == "1":
        raise _Fallback("the recording run started a process outside any test")
    record = store.file(path)
    if record is None:
        raise _Fallback("no coverage record of this file")
    current = analysis.root / path
    if base is None or not current.exists():
        raise _Fallback("added or deleted since the base")
    versions = {_show(analysis.root, base, path), current.read_bytes()}
    names: set[str] = set()
    for source in versions:
        if blob_id(source) != record.blob:
            names |= _changed_functions(record, source)
    return store.tests_executing(path, names)


def _changed_functions(record: FileRecord, source: bytes) -> set[str]:
    try:
        blocks = parse_blocks(source)
    except (SyntaxError, ValueError) as exc:
        raise _Fallback(f"does not parse ({exc})") from None
    if blocks.module != record.module or set(blocks.functions) != set(record.functions):
        raise _Fallback("module-level code differs from the record")
    names: set[str] = set()
    for name, block in blocks.functions.items():
        fingerprint, measurable, shared = record.functions[name]
        if block.fingerprint == fingerprint:
            continue
        if not (measurable and block.measurable):
            raise _Fallback(f"{name}() changed and a call to it can't be measured")
        if shared:
            raise _Fallback(f"{name}() changed and runs outside tests (imports, shared fixtures)")
        names.add(name)
    return names


def _source(store: Store) -> str:
    head = store.meta.get("head", "")[:12] or "no commit"
    return f"recorded {store.meta.get('recorded', '?')} at {head}"


def _tree(root: Path, commit: str) -> dict[str, str]:
    proc = subprocess.run(
        ["git", "-C", str(root), "ls-tree", "-r", "-z", "--full-tree", commit],
        capture_output=True,
        check=False,
    )
    out: dict[str, str] = {}
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            out[path] = parts[2]
    return out


def _show(root: Path, commit: str, path: str) -> bytes:
    proc = subprocess.run(
        ["git", "-C", str(root), "cat-file", "blob", f"{commit}:{path}"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise _Fallback("its base version can't be read")
    return proc.stdout
