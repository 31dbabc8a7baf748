"""Attach coverage precision to a :class:`~velocity.depci.plan.Plan` (see
:mod:`velocity.depci.precision`); every way it can't be used leaves the static plan and a note.

.. versionadded:: 0.2
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from velocity.core.errors import VelocityError
from velocity.depci.coverage_store import StoreError
from velocity.depci.coverage_store import open_store
from velocity.depci.precision import narrow

if TYPE_CHECKING:
    from velocity.depci.engine import Analysis
    from velocity.depci.plan import Plan

__all__ = ["apply_precision"]


def apply_precision(plan: Plan, analysis: Analysis, required: bool) -> None:
    """Narrow *plan* with the coverage records of its repository, when there are any.

    :param required: no records is an error (``--affected-precision=coverage``).
    :raises VelocityError: *required* and no records could be used.

    .. versionadded:: 0.2
    """
    try:
        store = open_store(plan.root)
    except StoreError as exc:
        _unusable(plan, f"coverage records: {exc}; using the static graph", required)
        return
    if store is None:
        if required:
            raise VelocityError("no coverage records: run `pytest --affected-record` first")
        return
    try:
        since = _merge_base(plan)
        if since is None:
            _unusable(plan, "coverage records unused: no merge-base with HEAD", required)
            return
        narrowing = narrow(analysis, plan.changed, plan.selection.tests, since, store)
    finally:
        store.close()
    plan.narrowing = narrowing


def _unusable(plan: Plan, note: str, required: bool) -> None:
    if required:
        raise VelocityError(note)
    plan.notes.append(note)


def _merge_base(plan: Plan) -> str | None:
    proc = subprocess.run(
        ["git", "-C", str(plan.root), "merge-base", plan.base, "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None
