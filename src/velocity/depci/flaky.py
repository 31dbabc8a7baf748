"""``--flaky-retries N``: rerun a failing test; one that fails and then passes is flaky.

A flaky test is neither hidden as a pass nor counted as a failure: it gets its own
``flaky`` outcome (letter ``L``), a section of the terminal summary, and a row in
``.velocity/history.sqlite``. Between attempts every fixture is torn down and set up again,
so a retry starts as cleanly as the first attempt did.

.. versionadded:: 0.1
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.runner import runtestprotocol

__all__ = ["FLAKY_KEY", "FlakyRerun", "flaky_attempts"]

#: The ``user_properties`` key on a flaky test's call report: how many attempts failed.
FLAKY_KEY = "velocity_flaky"


def flaky_attempts(report: pytest.TestReport) -> int:
    """How many attempts of *report*'s test failed before it passed (0: not flaky).

    .. versionadded:: 0.1
    """
    return next((int(str(v)) for k, v in report.user_properties if k == FLAKY_KEY), 0)


class FlakyRerun:
    """The plugin object registered by ``--flaky-retries``.

    .. versionadded:: 0.1
    """

    def __init__(self, retries: int) -> None:
        self.retries = retries

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool:
        """Run *item* until it passes or has used its retries; log only the last attempt."""
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        failed = 0
        while True:
            last = failed == self.retries
            # nextitem=None tears every fixture down, so the retry sets them up afresh.
            reports = runtestprotocol(item, nextitem=nextitem if last else None, log=False)
            if last or not any(r.failed for r in reports):
                break
            failed += 1
        if failed and not any(r.failed for r in reports):
            for rep in reports:
                if rep.when == "call":
                    rep.user_properties = [*rep.user_properties, (FLAKY_KEY, failed)]
        for rep in reports:
            ihook.pytest_runtest_logreport(report=rep)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def pytest_report_teststatus(self, report: pytest.TestReport) -> Any:
        """Report a test that passed after failing as ``flaky``."""
        if report.when == "call" and report.passed and flaky_attempts(report):
            return "flaky", "L", "FLAKY"
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """List the flaky tests with the number of failed attempts."""
        flaky = terminalreporter.stats.get("flaky", [])
        if not flaky:
            return
        terminalreporter.write_sep("=", "flaky tests (failed, then passed)")
        for rep in flaky:
            n = flaky_attempts(rep)
            terminalreporter.write_line(f"FLAKY {rep.nodeid} - passed after {n} failed attempts")
