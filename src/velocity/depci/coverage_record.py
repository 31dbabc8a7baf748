"""``pytest --affected-record``: run the tests under coverage.py and keep what each executed.

Each test's setup, call and teardown run in a coverage *dynamic context* named after the test;
everything else -- collection, module imports (wherever they happen), fixtures wider than a
function -- runs in a shared context. At the end every measured file of the repository is cut
into blocks (:mod:`velocity.depci.blocks`) and the store records, per test, the function
blocks it executed; a function that ran in the shared context is marked *shared*. A test that
failed or started a process is *opaque*: its record can't vouch for it.

.. versionadded:: 0.2
"""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Generator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from velocity.depci.blocks import parse_blocks
from velocity.depci.coverage_store import FileRecord
from velocity.depci.coverage_store import Recording
from velocity.depci.coverage_store import TestRecord
from velocity.depci.coverage_store import blob_id
from velocity.depci.coverage_store import write_store
from velocity.depci.files import is_test_file
from velocity.depci.files import list_files

__all__ = ["CoverageRecorder", "test_key"]

SHARED = "velocity:shared"
_SPAWNERS: list[tuple[Any, str]] = [
    (subprocess.Popen, "__init__"),
    (os, "fork"),
    (os, "posix_spawn"),
    (os, "posix_spawnp"),
    (os, "system"),
]


def test_key(root: Path, item: pytest.Item) -> str:
    """``path/relative/to/repo.py::rest::of::nodeid``: a test's name in the store.

    .. versionadded:: 0.2
    """
    rel = Path(os.path.relpath(item.path, root)).as_posix()
    _, sep, rest = item.nodeid.partition("::")
    return f"{rel}{sep}{rest}"


class CoverageRecorder:
    """The recording plugin (one per session, on the controller).

    .. versionadded:: 0.2
    """

    def __init__(self, root: Path) -> None:
        import coverage

        self.root = root
        self.cov = coverage.Coverage(
            data_file=None,
            config_file=False,
            include=[f"{root}{os.sep}*"],
            omit=[f"{root}{os.sep}.venv{os.sep}*", f"*{os.sep}site-packages{os.sep}*"],
        )
        self.context = SHARED
        self.tests: dict[str, TestRecord] = {}
        self.items: dict[str, str] = {}
        self._nodeids: dict[str, str] = {}
        self.deselected: set[str] = set()
        self.spawned_shared = False
        self.before = _blobs(root)
        self._undo: list[Callable[[], None]] = []
        self._running = False

    def start(self) -> None:
        """Start measuring (as early as possible: before the conftest files load)."""
        self.cov.start()
        self._running = True
        self.cov.switch_context(SHARED)
        self._patch_imports()
        self._patch_spawners()

    def switch(self, context: str) -> None:
        if context != self.context:
            self.context = context
            self.cov.switch_context(context)

    def _patch_imports(self) -> None:
        # A module's import runs once for every test that uses it: never one test's record.
        from _pytest.assertion.rewrite import AssertionRewritingHook

        for cls in (importlib.machinery.SourceFileLoader, AssertionRewritingHook):
            self._wrap(cls, "exec_module", self._shared_call)

    def _patch_spawners(self) -> None:
        for owner, name in _SPAWNERS:
            if hasattr(owner, name):
                self._wrap(owner, name, self._spawn_call)

    def _wrap(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        own = name in vars(owner)
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        self._undo.append(
            (lambda: setattr(owner, name, original)) if own else (lambda: delattr(owner, name))
        )

    def _shared_call(self, original: Any) -> Any:
        def exec_module(*args: Any, **kwargs: Any) -> Any:
            previous = self.context
            self.switch(SHARED)
            try:
                return original(*args, **kwargs)
            finally:
                self.switch(previous)

        return exec_module

    def _spawn_call(self, original: Any) -> Any:
        def spawn(*args: Any, **kwargs: Any) -> Any:
            test = self.tests.get(self.context)
            if test is not None:
                test.opaque = True
            elif not _from_velocity(sys._getframe(1)):
                self.spawned_shared = True
            return original(*args, **kwargs)

        return spawn

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            key = test_key(self.root, item)
            self.items[key] = key.partition("::")[0]
            self._nodeids[item.nodeid] = key

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.deselected.add(Path(os.path.relpath(item.path, self.root)).as_posix())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        key = test_key(self.root, item)
        self.tests[key] = TestRecord(key, key.partition("::")[0])
        self.switch(key)
        try:
            return (yield)
        finally:
            self.switch(SHARED)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any) -> Generator[None, object, object]:
        previous = self.context
        if fixturedef.scope != "function":
            self.switch(SHARED)
        try:
            return (yield)
        finally:
            self.switch(previous)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.get(self._nodeids.get(report.nodeid, ""))
        if report.failed and test is not None:
            test.opaque = True

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.stop()
        rec = self.recording()
        write_store(self.root, rec)

    def stop(self) -> None:
        """Stop measuring and undo the patches (again: nothing)."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        if self._running:
            self._running = False
            self.cov.stop()

    def pytest_unconfigure(self) -> None:
        self.stop()

    def recording(self) -> Recording:
        """What was measured, cut into blocks."""
        rec = Recording(tests=self.tests)
        data = self.cov.get_data()
        for measured in data.measured_files():
            rel = Path(os.path.relpath(measured, self.root)).as_posix()
            if rel.startswith("..") or rel not in self.before or _is_test_module(rel):
                continue
            frec = self._file_record(rel, data.contexts_by_lineno(measured))
            if frec is not None:
                rec.files[rel] = frec
        self._test_files(rec)
        rec.meta = {
            "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
            "head": _head(self.root),
            "spawned_shared": str(int(self.spawned_shared)),
        }
        return rec

    def _file_record(self, rel: str, by_line: dict[int, list[str]]) -> FileRecord | None:
        try:
            data = (self.root / rel).read_bytes()
            blocks = parse_blocks(data)
        except (OSError, SyntaxError, ValueError):
            return None
        blob = blob_id(data)
        if blob != self.before[rel] or blocks.import_lines.isdisjoint(by_line):
            return None  # changed while the tests ran, or imported before measuring began
        lines = blocks.line_map()
        shared: set[str] = set()
        for line, contexts in by_line.items():
            name = lines.get(line)
            if name is None:
                continue
            for context in contexts:
                test = self.tests.get(context)
                if test is None:
                    shared.add(name)
                else:
                    test.hits.add((rel, name))
        functions = {
            name: (b.fingerprint, b.measurable, name in shared)
            for name, b in blocks.functions.items()
        }
        return FileRecord(blob, blocks.module, functions)

    def _test_files(self, rec: Recording) -> None:
        ran: dict[str, list[TestRecord]] = {}
        for test in self.tests.values():
            ran.setdefault(test.file, []).append(test)
        collected: dict[str, int] = {}
        for file in self.items.values():
            collected[file] = collected.get(file, 0) + 1
        for file, tests in ran.items():
            blob = self.before.get(file)
            if blob is None:
                continue
            complete = (
                file not in self.deselected
                and collected.get(file) == len(tests)
                and not any(t.opaque for t in tests)
            )
            rec.test_files[file] = (blob, complete)


def _from_velocity(frame: FrameType | None) -> bool:
    # The plugin's own git calls (the selection, this recorder) run no code under test.
    for _ in range(8):
        if frame is None:
            return False
        if str(frame.f_globals.get("__name__", "")).startswith("velocity.depci."):
            return True
        frame = frame.f_back
    return False


def _is_test_module(rel: str) -> bool:
    return is_test_file(rel) or rel.rpartition("/")[2] == "conftest.py"


def _blobs(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel in list_files(root):
        if rel.endswith(".py"):
            try:
                out[rel] = blob_id((root / rel).read_bytes())
            except OSError:
                continue
    return out


def _head(root: Path) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""
