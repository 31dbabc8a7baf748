"""``dep-ci run [--base REF | --staged] -- CMD...``: run CMD on the affected tests only."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

import click

from velocity.core.errors import UsageError
from velocity.core.errors import VelocityError
from velocity.depci.history import plan_record
from velocity.depci.history import record
from velocity.depci.plan import make_plan
from velocity.depci.runner import command_for

__all__ = ["run"]


def run(
    root: Path,
    argv: Sequence[str],
    *,
    base: str | None = None,
    staged: bool = False,
    use_cache: bool = True,
) -> int:
    """Run *argv* narrowed to the affected tests; returns its exit code.

    Everything must run: *argv* runs unchanged. Nothing is affected: nothing runs, exit 0.

    :param staged: only the changes staged in the git index count (a pre-commit hook).

    .. versionadded:: 0.1
    """
    if not argv:
        raise UsageError("no command to run (dep-ci run -- CMD...)")
    plan = make_plan(root, base, staged=staged, use_cache=use_cache)
    click.echo(plan.header(), err=True)
    for line in plan.precision_lines():
        click.echo(line, err=True)
    for reason in plan.selection.reasons:
        click.echo(f"velocity: running every test: {reason}", err=True)
    run_record = plan_record(plan, "dep-ci run")
    cmd = command_for(argv, plan, Path.cwd()) if plan.run_all or plan.tests else None
    if cmd is None:
        click.echo(f"velocity: no affected test for {argv[0]}; not running it", err=True)
        run_record.exitstatus = 0
        record(plan.root, run_record)
        return 0
    click.echo(f"velocity: running {shlex.join(cmd)}", err=True)
    try:
        code = subprocess.run(cmd, check=False).returncode
    except FileNotFoundError:
        raise VelocityError(f"command not found: {cmd[0]}", exit_code=127) from None
    run_record.exitstatus = code
    record(plan.root, run_record)
    return code
