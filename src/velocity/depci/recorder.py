"""The pytest plugin's memory: each run's outcomes and selection go to the history.

.. versionadded:: 0.1
"""

from __future__ import annotations

from pathlib import Path

import pytest

from velocity.core.errors import VelocityError
from velocity.depci.changes import repo_root
from velocity.depci.flaky import flaky_attempts
from velocity.depci.history import Outcome
from velocity.depci.history import plan_record
from velocity.depci.history import record
from velocity.depci.plan import Plan

__all__ = ["Recorder"]


class Recorder:
    """Collects outcomes on the controller and writes one run at session end.

    .. versionadded:: 0.1
    """

    def __init__(self, config: pytest.Config, plan: Plan | None, retries: int) -> None:
        self.plan, self.retries = plan, retries
        self.root = plan.root if plan else _root(config.rootpath)
        self.outcomes: dict[str, Outcome] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the outcome that matters: a failing phase, else the call."""
        if report.when != "call" and report.passed:
            return
        outcome = "flaky" if flaky_attempts(report) else report.outcome
        if report.nodeid in self.outcomes and self.outcomes[report.nodeid].outcome == "failed":
            return
        self.outcomes[report.nodeid] = Outcome(
            report.nodeid, outcome, flaky_attempts(report), report.duration
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the run to ``.velocity/history.sqlite``."""
        run = plan_record(self.plan, "pytest")
        run.exitstatus = int(session.exitstatus)
        run.outcomes = list(self.outcomes.values())
        record(self.root, run)


def _root(start: Path) -> Path:
    try:
        return repo_root(start).resolve()
    except VelocityError:
        return start
