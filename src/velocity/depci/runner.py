"""``dep-ci run``: turn a test command into one that runs only the affected tests.

Each known runner is a :class:`Runner` in :data:`RUNNERS`, tried in order; the first whose
``matches`` accepts the command rewrites it. ``{tests}`` in the command always wins: an
argument that is exactly ``{tests}`` becomes one argument per test file, and ``{tests}``
inside a longer argument becomes the space-separated list.

.. versionadded:: 0.1
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from pathlib import PurePath
from typing import Protocol

from velocity.depci.plan import Plan

__all__ = ["PLACEHOLDER", "RUNNERS", "Runner", "command_for"]

PLACEHOLDER = "{tests}"
_JS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


class Runner(Protocol):
    """How one test runner is told which tests to run.

    .. versionadded:: 0.1
    """

    def matches(self, argv: Sequence[str]) -> bool:
        """Is *argv* a command line of this runner?"""

    def narrow(self, argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
        """*argv* restricted to *plan*'s tests (paths relative to *cwd*); None: none for it."""


def _names(argv: Sequence[str]) -> list[str]:
    # `python -m pytest`, `npx jest`, `uv run pytest`: look past launchers at the tool's name.
    return [PurePath(a).name.removesuffix(".cmd") for a in argv[:3]]


def _rel(paths: Sequence[str], plan: Plan, cwd: Path) -> list[str]:
    return [os.path.relpath(plan.root / p, cwd) for p in paths]


def _related(plan: Plan) -> list[str]:
    # Changed sources let the runner follow its own graph; selected tests cover extra_deps.
    changed = [p for p in plan.changed if p.endswith(_JS) and (plan.root / p).exists()]
    tests = [t for t in plan.tests if t.endswith(_JS)]
    return sorted(set(changed) | set(tests)) if tests else []


def _with(argv: Sequence[str], tests: list[str], plan: Plan, cwd: Path) -> list[str] | None:
    return [*argv, *_rel(tests, plan, cwd)] if tests else None


class _Pytest:
    def matches(self, argv: Sequence[str]) -> bool:
        return any(n in ("pytest", "py.test") for n in _names(argv))

    def narrow(self, argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
        return _with(argv, [t for t in plan.tests if t.endswith(".py")], plan, cwd)


class _Jest:
    # Jest follows its own module graph from the changed sources; we hand it those.
    def matches(self, argv: Sequence[str]) -> bool:
        return "jest" in _names(argv)

    def narrow(self, argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
        return _with([*argv, "--findRelatedTests"], _related(plan), plan, cwd)


class _Vitest:
    def matches(self, argv: Sequence[str]) -> bool:
        return "vitest" in _names(argv)

    def narrow(self, argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
        at = _names(argv).index("vitest")
        rest = [a for a in argv[at + 1 :] if a != "run"]
        files = _related(plan)
        return (
            [*argv[: at + 1], "related", "--run", *_rel(files, plan, cwd), *rest] if files else None
        )


class _NpmTest:
    # `npm test -- FILES` hands the files to whatever the package's test script runs.
    def matches(self, argv: Sequence[str]) -> bool:
        return len(argv) >= 2 and _names(argv)[0] in ("npm", "pnpm", "yarn") and argv[1] == "test"

    def narrow(self, argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
        sep = [] if "--" in argv else ["--"]
        return _with([*argv, *sep], [t for t in plan.tests if t.endswith(_JS)], plan, cwd)


class _Generic:
    def matches(self, argv: Sequence[str]) -> bool:
        return True

    def narrow(self, argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
        return _with(argv, plan.tests, plan, cwd)


#: Known runners, most specific first; the last one appends every selected test file.
RUNNERS: dict[str, Runner] = {
    "pytest": _Pytest(),
    "jest": _Jest(),
    "vitest": _Vitest(),
    "npm-test": _NpmTest(),
    "generic": _Generic(),
}


def command_for(argv: Sequence[str], plan: Plan, cwd: Path) -> list[str] | None:
    """The command to run for *plan*: *argv* unchanged when everything must run.

    None when no selected test is of the runner's kind (pytest and only ``.ts`` tests).

    .. versionadded:: 0.1
    """
    if any(PLACEHOLDER in a for a in argv):
        # Running everything: the placeholder expands to nothing, so the tool's default runs.
        tests = [] if plan.run_all else _rel(plan.tests, plan, cwd)
        out: list[str] = []
        for arg in argv:
            if arg == PLACEHOLDER:
                out.extend(tests)
            else:
                out.append(arg.replace(PLACEHOLDER, " ".join(tests)))
        return out
    if plan.run_all:
        return list(argv)
    runner = next(r for r in RUNNERS.values() if r.matches(argv))
    return runner.narrow(argv, plan, cwd)
