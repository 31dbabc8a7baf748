"""The pytest plugin ``velocity-depci``: run only the test files a change can reach.

``pytest --affected-only [--affected-base REF] [--affected-explain]`` asks the depci engine
which test files the changes since ``merge-base(REF, HEAD)`` (plus the work tree) can reach;
the others are never imported (``pytest_ignore_collect``). When the engine says run
everything (a lockfile changed, a file did not parse, a file no rule places), everything is
collected and the header says why. ``--flaky-retries N`` reruns failures (see
:mod:`velocity.depci.flaky`). Runs with either option are recorded in
``.velocity/history.sqlite``.

``--affected-record`` runs the tests under coverage.py and keeps, per test, the functions it
executed (``.velocity/coverage.sqlite``); later selections use those records to narrow the
static graph's answer test by test (``--affected-precision``, see
:mod:`velocity.depci.precision`).

.. versionadded:: 0.1
.. versionchanged:: 0.2 ``--affected-record`` and ``--affected-precision``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest

if TYPE_CHECKING:
    from velocity.depci.plan import Plan

__all__ = ["pytest_addoption", "pytest_configure", "pytest_load_initial_conftests"]

_WORKER_KEY = "velocity_affected"
_RECORDER = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``velocity`` option group."""
    group = parser.getgroup("velocity", "velocity: dependency-aware test selection")
    group.addoption(
        "--affected-only",
        action="store_true",
        default=False,
        help="Run only the test files the changes since --affected-base can reach.",
    )
    group.addoption(
        "--affected-base",
        metavar="REF",
        default=None,
        help="Compare with merge-base(REF, HEAD) [default: origin/HEAD, main, master, HEAD].",
    )
    group.addoption(
        "--affected-explain",
        action="store_true",
        default=False,
        help="Say why each test file runs or is skipped (implies --affected-only).",
    )
    group.addoption(
        "--affected-record",
        action="store_true",
        default=False,
        help="Record what each test executes (coverage.py) so that selections can narrow.",
    )
    group.addoption(
        "--affected-precision",
        choices=("auto", "static", "coverage"),
        default="auto",
        help="static: the import graph only; coverage: narrow it with the recorded coverage "
        "(an error without records); auto (default): coverage when there are records.",
    )
    group.addoption(
        "--flaky-retries",
        type=int,
        default=0,
        metavar="N",
        help="Rerun a failing test up to N times; one that then passes is reported as flaky.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start recording before the conftest files import the code under test."""
    if getattr(early_config.known_args_namespace, "affected_record", False):
        _start_recording(early_config)


def _start_recording(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or _RECORDER in config.stash:
        return
    _check_one_process(config.known_args_namespace)
    try:
        import coverage
    except ImportError:
        raise pytest.UsageError(
            "--affected-record needs coverage.py (pip install coverage)"
        ) from None
    if coverage.Coverage.current() is not None:
        raise pytest.UsageError("--affected-record can't run under another coverage measurement")
    from velocity.depci.coverage_record import CoverageRecorder
    from velocity.depci.recorder import _root

    recorder = CoverageRecorder(_root(config.rootpath))
    recorder.start()
    config.stash[_RECORDER] = recorder


def _check_one_process(options: Any) -> None:
    if getattr(options, "numprocesses", None) or getattr(options, "dist", "no") != "no":
        raise pytest.UsageError("--affected-record runs in one process: drop -n/--dist")


def pytest_configure(config: pytest.Config) -> None:
    """Register the selection (and the flaky rerunner) when their options are given."""
    retries = int(config.getoption("flaky_retries"))
    if retries < 0:
        raise pytest.UsageError("--flaky-retries must be >= 0")
    if config.getoption("affected_record") and not hasattr(config, "workerinput"):
        try:
            _check_one_process(config.option)
        except pytest.UsageError:
            _unrecord(config)
            raise
        _start_recording(config)
        if _RECORDER in config.stash:
            config.pluginmanager.register(config.stash[_RECORDER], "velocity-coverage-record")
    affected = _Affected.create(config) if _wanted(config) else None
    if affected is not None:
        config.pluginmanager.register(affected, "velocity-affected")
    if retries:
        from velocity.depci.flaky import FlakyRerun

        config.pluginmanager.register(FlakyRerun(retries), "velocity-flaky")
    if (affected or retries) and not hasattr(config, "workerinput"):
        from velocity.depci.recorder import Recorder

        plan = affected.plan if affected else None
        config.pluginmanager.register(Recorder(config, plan, retries), "velocity-recorder")


def _wanted(config: pytest.Config) -> bool:
    return bool(config.getoption("affected_only") or config.getoption("affected_explain"))


def _unrecord(config: pytest.Config) -> None:
    # A run that stops at a usage error must not leave the tracer and its patches behind.
    recorder = config.stash.get(_RECORDER, None)
    if recorder is not None:
        recorder.stop()
        del config.stash[_RECORDER]


class _Affected:
    # The controller holds the plan; xdist workers get only the selected paths.
    def __init__(
        self, root: Path, run_all: bool, selected: set[str], plan: Plan | None, explain: bool
    ) -> None:
        self.root, self.run_all, self.selected = root, run_all, selected
        self.plan, self.explain = plan, explain
        self.deselect: set[str] = plan.deselect if plan is not None else set()

    @classmethod
    def create(cls, config: pytest.Config) -> _Affected:
        explain = bool(config.getoption("affected_explain"))
        shipped = getattr(config, "workerinput", {}).get(_WORKER_KEY)
        if shipped is not None:
            worker = cls(
                Path(shipped["root"]), shipped["run_all"], set(shipped["tests"]), None, False
            )
            worker.deselect = set(shipped["deselect"])
            return worker
        from velocity.core.errors import VelocityError
        from velocity.depci.plan import make_plan

        base, precision = config.getoption("affected_base"), config.getoption("affected_precision")
        try:
            plan = make_plan(config.rootpath, base, precision=precision).python_only()
        except VelocityError as exc:
            _unrecord(config)
            raise pytest.UsageError(f"--affected-only: {exc.message}") from None
        return cls(plan.root, plan.run_all, set(plan.tests), plan, explain)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_WORKER_KEY] = {
            "root": str(self.root),
            "run_all": self.run_all,
            "tests": sorted(self.selected),
            "deselect": sorted(self.deselect),
        }

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[Any]) -> None:
        if self.run_all or not self.deselect:
            return
        from velocity.depci.coverage_record import test_key

        keep: list[Any] = []
        drop: list[Any] = []
        for item in items:
            (drop if test_key(self.root, item) in self.deselect else keep).append(item)
        if drop:
            items[:] = keep
            config.hook.pytest_deselected(items=drop)

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        if self.run_all or collection_path.suffix != ".py":
            return None
        rel = self._rel(collection_path)
        from velocity.depci.files import is_test_file

        if rel is None or rel in self.selected or not is_test_file(rel):
            return None
        return True

    def _rel(self, path: Path) -> str | None:
        rel = os.path.relpath(path, self.root)
        if rel.startswith(".."):
            rel = os.path.relpath(path.resolve(), self.root)
        return None if rel.startswith("..") else Path(rel).as_posix()

    def pytest_report_header(self) -> list[str]:
        plan = self.plan
        if plan is None:
            return []
        lines = [plan.header(), *plan.precision_lines()]
        lines += [f"velocity: running every test: {r}" for r in plan.selection.reasons]
        if self.explain:
            lines += [f"velocity: changed {p}: {n}" for p, n in plan.selection.notes.items()]
            if plan.narrowing is not None:
                notes = plan.narrowing.notes.items()
                lines += [f"velocity: precision for {p}: {n}" for p, n in notes]
            lines += [f"velocity: {t}: {plan.reason(t)}" for t in plan.all_tests]
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.plan is not None and not self.run_all and not self.selected:
            terminalreporter.write_line(
                f"velocity: no test file is affected by the {len(self.plan.changed)} "
                "changed files; nothing to run"
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.run_all or self.selected:
            return
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            session.exitstatus = pytest.ExitCode.OK
