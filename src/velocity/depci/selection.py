"""From changed files to the tests to run, with a reason for every run-everything decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import PurePosixPath
from typing import Any

from velocity.depci.engine import Analysis
from velocity.depci.parse import PARSERS
from velocity.depci.parse import parse_source

__all__ = ["Selection", "select"]


@dataclass
class Selection:
    """What a set of changes selects.

    :param run_all: every test must run; ``reasons`` says why.
    :param affected: changed files and every file that can reach one (graph view).
    :param tests: the tests to run (all of them when ``run_all``).
    :param notes: per changed file, how it was handled.

    .. versionadded:: 0.1
    """

    changed: list[str]
    run_all: bool = False
    reasons: list[str] = field(default_factory=list)
    affected: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of every field."""
        return {
            "changed": self.changed,
            "run_all": self.run_all,
            "reasons": self.reasons,
            "affected": self.affected,
            "tests": self.tests,
            "notes": self.notes,
        }


def select(analysis: Analysis, changed: Iterable[str]) -> Selection:
    """Apply the graph and the rules to *changed* (repo-relative paths, deleted ones too).

    .. versionadded:: 0.1
    """
    sel = Selection(sorted(set(changed)))
    seeds: set[str] = set()
    extra: set[str] = set()
    for path in sel.changed:
        note = _classify(analysis, path, seeds, extra, sel)
        sel.notes[path] = note
    if seeds and analysis.errors:
        # An unparsable file's imports are unknown: it may depend on anything that changed.
        for bad in sorted(analysis.errors):
            if bad not in seeds:
                seeds.add(bad)
                sel.notes.setdefault(bad, f"unparsable ({analysis.errors[bad]}): always affected")
    affected = analysis.graph.affected(seeds)
    sel.affected = sorted(affected)
    # A deleted test can't run: it is in `affected` (as a seed) but not among the files.
    present = set(analysis.tests)
    chosen = {p for p in affected if p in present} | extra
    sel.tests = sorted(analysis.tests if sel.run_all else chosen)
    return sel


def _classify(
    analysis: Analysis, path: str, seeds: set[str], extra: set[str], sel: Selection
) -> str:
    rules = analysis.rules
    glob = rules.run_all_match(path)
    if glob is not None:
        return _run_all(sel, f"{path}: matches run_all_on {glob!r}")
    if rules.ignored(path):
        return "ignored by rule"
    error = _check(analysis, path)
    if error is not None:
        return _run_all(sel, f"{path}: could not be parsed ({error})")
    tests = rules.extra_tests(path, analysis.tests)
    if tests is not None:
        extra.update(tests)
    code = PurePosixPath(path).suffix in PARSERS
    if code or analysis.graph.reverse.get(path):
        seeds.add(path)
        return "graph" if tests is None else "graph + extra_deps"
    if tests is not None:
        return f"extra_deps: {len(tests)} tests"
    return _run_all(sel, f"{path}: no rule places this file (add it to extra_deps or ignore)")


def _check(analysis: Analysis, path: str) -> str | None:
    # A changed file's syntax errors must be known: re-parse in full what a quick pass read.
    parsed = analysis.parsed.get(path)
    if parsed is not None and not parsed.checked:
        full = parse_source(path, (analysis.root / path).read_bytes(), strict=True)
        if full is not None and full.error:
            analysis.errors[path] = full.error
    return analysis.errors.get(path)


def _run_all(sel: Selection, reason: str) -> str:
    sel.run_all = True
    sel.reasons.append(reason)
    return "run all: " + reason.split(": ", 1)[1]
