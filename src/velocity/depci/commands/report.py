"""``dep-ci report [--json] [--limit N]``: the audit trail of what ran, what was skipped, why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.depci.history import audit

__all__ = ["report"]


def report(root: Path, *, as_json: bool, limit: int = 20, markdown: bool = False) -> int:
    """Print the last *limit* recorded runs, newest first, with each skipped test file.

    :param markdown: print Markdown (a GitHub job summary) instead of plain text.

    .. versionadded:: 0.1
    """
    runs = audit(root, limit)
    if as_json:
        emit_json({"runs": runs})
        return 0
    if markdown:
        click.echo(
            "\n".join(_markdown(run) for run in runs) if runs else "No velocity run recorded."
        )
        return 0
    if not runs:
        click.echo("no runs recorded")
        return 0
    for run in runs:
        scope = (
            "everything" if run["run_all"] else f"{run['selected']} of {run['total']} test files"
        )
        click.echo(
            f"{run['started']}  {run['tool']}  base {run['base']}  {run['changed']} changed  "
            f"ran {scope}  exit {run['exitstatus']}"
        )
        if run["reasons"]:
            click.echo(f"  why everything: {run['reasons']}")
        for skipped in run["skipped"]:
            click.echo(f"  skipped {skipped['path']}: {skipped['reason']}")
    return 0


def _markdown(run: dict[str, Any]) -> str:
    ran = "every test" if run["run_all"] else f"{run['selected']} of {run['total']} test files"
    lines = [
        f"### velocity dep-ci: ran {ran}",
        "",
        f"{run['changed']} changed files since `{run['base']}`; exit status {run['exitstatus']}.",
    ]
    if run["reasons"]:
        lines += ["", f"Everything ran because: {run['reasons']}"]
    for title, rows in (("Selected", run["selected_tests"]), ("Skipped", run["skipped"])):
        if rows:
            lines += ["", f"<details><summary>{title}: {len(rows)}</summary>", ""]
            lines += ["| test file | why |", "| --- | --- |"]
            lines += [f"| `{r['path']}` | {_cell(r['reason'])} |" for r in rows]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
