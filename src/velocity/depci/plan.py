"""What the front ends act on: the changed files, their selection, a reason for every test file.

The pytest plugin, ``dep-ci run`` and the report all start from one :class:`Plan`, so they
agree on what was selected and why.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from velocity.core.errors import VelocityError
from velocity.depci.changes import changed_files
from velocity.depci.changes import default_base
from velocity.depci.changes import repo_root
from velocity.depci.engine import Analysis
from velocity.depci.engine import build_graph
from velocity.depci.files import is_test_file
from velocity.depci.files import list_files
from velocity.depci.precision import Narrowing
from velocity.depci.selection import Selection
from velocity.depci.selection import select

__all__ = ["PRECISIONS", "STAGED", "Plan", "make_plan", "staged_files"]

#: The ``base`` of a plan built from the git index alone (a pre-commit hook).
STAGED = "staged"
#: ``auto``: coverage records narrow the selection when there are any; ``static``: never;
#: ``coverage``: they must (an error when there are none).
PRECISIONS = ("auto", "static", "coverage")


@dataclass
class Plan:
    """The changes since *base* and the test files they select.

    :param root: the repository root.
    :param base: the git ref compared with, or :data:`STAGED`.
    :param selection: the engine's answer; ``selection.run_all`` means run everything.
    :param all_tests: every test file of the repository, repo-relative.
    :param analysis: ``None`` when nothing changed (the graph was not needed).
    :param narrowing: how coverage records narrowed the selection, if they did.
    :param notes: lines for the header about the precision used.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 ``narrowing`` and ``notes``.
    """

    root: Path
    base: str
    selection: Selection
    all_tests: list[str]
    analysis: Analysis | None = None
    narrowing: Narrowing | None = None
    notes: list[str] = field(default_factory=list)
    _why: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> list[str]:
        """The changed files, repo-relative."""
        return self.selection.changed

    @property
    def run_all(self) -> bool:
        """Every test must run (``selection.reasons`` says why)."""
        return self.selection.run_all

    @property
    def tests(self) -> list[str]:
        """The selected test files (all of them when :attr:`run_all`)."""
        if self.run_all:
            return self.all_tests
        narrowed = self.narrowing.files if self.narrowing else None
        return self.selection.tests if narrowed is None else narrowed

    @property
    def deselect(self) -> set[str]:
        """Recorded tests (``path::nodeid``) of selected files that need not run."""
        return self.narrowing.deselect if self.narrowing else set()

    def python_only(self) -> Plan:
        """This plan restricted to Python test files (what pytest can run)."""
        keep = [t for t in self.all_tests if t.endswith(".py")]
        sel = Selection(**{**vars(self.selection), "tests": [
            t for t in self.selection.tests if t.endswith(".py")
        ]})  # fmt: skip
        narrowing = self.narrowing
        if narrowing is not None and narrowing.files is not None:
            files = [f for f in narrowing.files if f.endswith(".py")]
            narrowing = Narrowing(**{**vars(narrowing), "files": files})
        return Plan(self.root, self.base, sel, keep, self.analysis, narrowing, self.notes)

    def header(self) -> str:
        """``velocity: N of M test files affected by K changed files (base REF)``."""
        return (
            f"velocity: {len(self.tests)} of {len(self.all_tests)} test files affected by "
            f"{len(self.changed)} changed files (base {self.base})"
        )

    def reason(self, test: str) -> str:
        """Why *test* (repo-relative) runs or is skipped, in one line."""
        if test not in self._why:
            self._why[test] = self._reason(test)
        return self._why[test]

    def precision_lines(self) -> list[str]:
        """What the coverage records did to the selection, for the header."""
        lines = [f"velocity: {n}" for n in self.notes]
        narrowing = self.narrowing
        if narrowing is not None and narrowing.files is None:
            lines.append("velocity: coverage records could not narrow this change: static graph")
        elif narrowing is not None and narrowing.files is not None:
            static, kept = len(self.selection.tests), len(narrowing.files)
            lines.append(
                f"velocity: coverage records ({narrowing.source}) narrowed {static} test files"
                f" to {kept}; {len(narrowing.deselect)} recorded tests in them deselected"
            )
        return lines

    def _reason(self, test: str) -> str:
        if self.run_all:
            return "run everything: " + "; ".join(self.selection.reasons)
        narrowed = self._narrowed(test)
        if narrowed is not None:
            return narrowed
        if test not in set(self.selection.tests):
            return f"skipped: reaches none of the {len(self.changed)} changed files"
        if test in self.changed:
            return "selected: changed itself"
        graph = self.analysis.graph if self.analysis else None
        for path in self.changed:
            chain = graph.why(test, path) if graph is not None and path in graph else None
            if chain:
                hops = " -> ".join(edge.target for _, edge in chain)
                return f"selected: {test} -> {hops}"
        return "selected: by an extra_deps rule"

    def _narrowed(self, test: str) -> str | None:
        narrowing = self.narrowing
        if narrowing is None or narrowing.files is None:
            return None
        if test not in narrowing.files:
            static = test in set(self.selection.tests)
            return (
                "skipped: no recorded test of it executed a changed function (coverage)"
                if static
                else None
            )
        chosen = narrowing.chosen.get(test)
        if chosen is None:
            return None
        if not chosen:
            return "selected: the records don't vouch for all of its tests (coverage)"
        names = ", ".join(k.partition("::")[2] for k in chosen[:5]) or "none"
        more = f" and {len(chosen) - 5} more" if len(chosen) > 5 else ""
        return f"selected (coverage): tests {names}{more} executed a changed function"


def staged_files(root: Path) -> list[str]:
    """Repo-relative paths staged in the git index (added, modified, deleted).

    .. versionadded:: 0.1
    """
    proc = subprocess.run(
        ["git", "-C", str(root), "diff", "--cached", "--name-only", "--no-renames", "-z"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise VelocityError(f"git diff --cached failed: {proc.stderr.decode(errors='replace')}")
    return sorted(n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n)


def make_plan(
    start: Path,
    base: str | None = None,
    *,
    staged: bool = False,
    use_cache: bool = True,
    precision: str = "auto",
) -> Plan:
    """Ask git what changed under the repository around *start* and select the tests.

    :param base: compare with ``merge-base(base, HEAD)`` plus the work tree; defaults to
        :func:`~velocity.depci.changes.default_base`. Ignored when *staged*.
    :param staged: only the changes staged in the index count.
    :param precision: one of :data:`PRECISIONS` (staged plans are always static).
    :raises VelocityError: *start* is not in a git repository, or *base* is unknown, or
        *precision* is ``coverage`` and there are no coverage records.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 *precision*.
    """
    if precision not in PRECISIONS:
        raise VelocityError(f"unknown precision {precision!r} (one of {', '.join(PRECISIONS)})")
    root = repo_root(start).resolve()
    if staged:
        base, changed = STAGED, staged_files(root)
    else:
        base = base or default_base(root)
        changed = changed_files(root, base)
    if not changed:
        # Nothing changed selects nothing: list the tests without building the graph.
        tests = [p for p in list_files(root) if is_test_file(p)]
        return Plan(root, base, Selection([]), tests)
    missing = [c for c in changed if not (root / c).exists()]
    analysis = build_graph(root, missing=missing, check=changed, use_cache=use_cache)
    plan = Plan(root, base, select(analysis, changed), list(analysis.tests), analysis)
    if precision != "static" and not staged and not plan.run_all:
        from velocity.depci.precision_plan import apply_precision

        apply_precision(plan, analysis, precision == "coverage")
    return plan
