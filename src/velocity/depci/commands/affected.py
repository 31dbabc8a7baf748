"""``dep-ci affected [--base REF]``: what the changes git knows about affect."""

from __future__ import annotations

from pathlib import Path

from velocity.core.errors import VelocityError
from velocity.depci.changes import changed_files
from velocity.depci.changes import default_base
from velocity.depci.changes import repo_root
from velocity.depci.commands._common import select_changed
from velocity.depci.commands._common import show

__all__ = ["affected"]


def affected(
    root: Path, base: str | None, *, tests_only: bool, as_json: bool, use_cache: bool = True
) -> int:
    """Print what changes since ``merge-base(base, HEAD)`` (plus the work tree) affect.

    :param base: defaults to :func:`~velocity.depci.changes.default_base`.

    .. versionadded:: 0.1
    """
    try:
        base = base or default_base(root)
        changed = changed_files(root, base)
    except VelocityError:
        repo_root(root)  # "not a git repository" beats any other git error
        raise
    analysis, sel = select_changed(root, changed, use_cache)
    return show(analysis, sel, tests_only, as_json, base=base)
