"""The pytest plugin ``velocity-depci``: run only the test files a change can reach.

``pytest --affected-only [--affected-base REF] [--affected-explain]`` asks the depci engine
which test files the changes since ``merge-base(REF, HEAD)`` (plus the work tree) can reach;
the others are never imported (``pytest_ignore_collect``). When the engine says run
everything (a lockfile changed, a file did not parse, a file no rule places), everything is
collected and the header says why. ``--flaky-retries N`` reruns failures (see
:mod:`velocity.depci.flaky`). Runs with either option are recorded in
``.velocity/history.sqlite``.

.. versionadded:: 0.1
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import pytest

if TYPE_CHECKING:
    from velocity.depci.plan import Plan

__all__ = ["pytest_addoption", "pytest_configure"]

_WORKER_KEY = "velocity_affected"


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
        "--flaky-retries",
        type=int,
        default=0,
        metavar="N",
        help="Rerun a failing test up to N times; one that then passes is reported as flaky.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the selection (and the flaky rerunner) when their options are given."""
    retries = int(config.getoption("flaky_retries"))
    if retries < 0:
        raise pytest.UsageError("--flaky-retries must be >= 0")
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


class _Affected:
    # The controller holds the plan; xdist workers get only the selected paths.
    def __init__(
        self, root: Path, run_all: bool, selected: set[str], plan: Plan | None, explain: bool
    ) -> None:
        self.root, self.run_all, self.selected = root, run_all, selected
        self.plan, self.explain = plan, explain

    @classmethod
    def create(cls, config: pytest.Config) -> _Affected:
        explain = bool(config.getoption("affected_explain"))
        shipped = getattr(config, "workerinput", {}).get(_WORKER_KEY)
        if shipped is not None:
            return cls(
                Path(shipped["root"]), shipped["run_all"], set(shipped["tests"]), None, False
            )
        from velocity.core.errors import VelocityError
        from velocity.depci.plan import make_plan

        try:
            plan = make_plan(config.rootpath, config.getoption("affected_base")).python_only()
        except VelocityError as exc:
            raise pytest.UsageError(f"--affected-only: {exc.message}") from None
        return cls(plan.root, plan.run_all, set(plan.tests), plan, explain)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_WORKER_KEY] = {
            "root": str(self.root),
            "run_all": self.run_all,
            "tests": sorted(self.selected),
        }

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
        lines = [plan.header()]
        lines += [f"velocity: running every test: {r}" for r in plan.selection.reasons]
        if self.explain:
            lines += [f"velocity: changed {p}: {n}" for p, n in plan.selection.notes.items()]
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
