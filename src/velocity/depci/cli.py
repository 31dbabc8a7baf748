"""The ``dep-ci`` command line: ``analyze``, ``affected``, ``why``, ``graph``, ``run``,
``flaky report``, ``report``."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path

import click

from velocity.core.cli import json_option
from velocity.core.cli import run
from velocity.core.cli import version_option
from velocity.core.errors import VelocityError
from velocity.depci.changes import repo_root
from velocity.depci.commands.affected import affected

__all__ = ["cli", "main"]


class _Opts:
    def __init__(self, root: Path, use_cache: bool) -> None:
        self.root, self.use_cache = root, use_cache


@click.group(name="dep-ci", help="Dependency-Aware CI: run only the tests a change can reach.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root (default: the git work tree around the current directory).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the .velocity/ cache.")
@version_option("dep-ci")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, no_cache: bool) -> None:
    """The ``dep-ci`` click group; :func:`main` runs it."""
    ctx.obj = _Opts(_find_root(root), not no_cache)


def _find_root(root: Path | None) -> Path:
    if root is not None:
        if not root.is_dir():
            raise VelocityError(f"not a directory: {root}")
        return root.resolve()
    try:
        return repo_root(Path.cwd()).resolve()
    except VelocityError:
        return Path.cwd().resolve()


_tests = click.option("--tests", "tests_only", is_flag=True, help="List affected tests only.")


@cli.command("analyze")
@click.argument("files", nargs=-1, required=True)
@_tests
@json_option
@click.pass_obj
def _analyze(opts: _Opts, files: tuple[str, ...], tests_only: bool, as_json: bool) -> int:
    """Files (or tests) affected by changes to FILES."""
    # Imported here, like the commands below: only ``affected`` is on the hot path.
    from velocity.depci.commands.analyze import analyze

    return analyze(
        opts.root, files, tests_only=tests_only, as_json=as_json, use_cache=opts.use_cache
    )


@cli.command("affected")
@click.option(
    "--base", help="Compare with merge-base(BASE, HEAD) [default: origin/HEAD, main, master, HEAD]."
)
@_tests
@json_option
@click.pass_obj
def _affected(opts: _Opts, base: str | None, tests_only: bool, as_json: bool) -> int:
    """Files (or tests) affected by the changes git reports."""
    return affected(
        opts.root, base, tests_only=tests_only, as_json=as_json, use_cache=opts.use_cache
    )


@cli.command("why")
@click.argument("test")
@click.argument("changed")
@json_option
@click.pass_obj
def _why(opts: _Opts, test: str, changed: str, as_json: bool) -> int:
    """The import chain from TEST to CHANGED (exit 1 if there is none)."""
    from velocity.depci.commands.why import why

    return why(opts.root, test, changed, as_json=as_json, use_cache=opts.use_cache)


@cli.command("graph")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "dot"]), default="json", show_default=True
)
@json_option
@click.pass_obj
def _graph(opts: _Opts, fmt: str, as_json: bool) -> int:
    """The whole dependency graph."""
    from velocity.depci.commands.graph import graph

    return graph(opts.root, "json" if as_json else fmt, use_cache=opts.use_cache)


@cli.command(
    "run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@click.option(
    "--base", help="Compare with merge-base(BASE, HEAD) [default: origin/HEAD, main, master, HEAD]."
)
@click.option("--staged", is_flag=True, help="Only changes staged in the git index count.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def _run(opts: _Opts, base: str | None, staged: bool, command: tuple[str, ...]) -> int:
    """Run COMMAND on the affected tests only (dep-ci run -- pytest -q)."""
    # Imported here: these front ends (sqlite3, shlex, runners) would tax every warm run.
    from velocity.depci.commands.run import run as run_tests

    return run_tests(opts.root, command, base=base, staged=staged, use_cache=opts.use_cache)


@cli.group("flaky")
def _flaky() -> None:
    """Tests that failed and then passed on a retry (pytest --flaky-retries N)."""


@_flaky.command("report")
@json_option
@click.pass_obj
def _flaky_report(opts: _Opts, as_json: bool) -> int:
    """Flake rate and last sighting of every flaky test in .velocity/history.sqlite."""
    from velocity.depci.commands.flaky import flaky

    return flaky(opts.root, as_json=as_json)


@cli.command("report")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--markdown", is_flag=True, help="Print Markdown (for $GITHUB_STEP_SUMMARY).")
@json_option
@click.pass_obj
def _report(opts: _Opts, limit: int, markdown: bool, as_json: bool) -> int:
    """The audit trail: recent runs, what each skipped and why."""
    from velocity.depci.commands.report import report

    return report(opts.root, as_json=as_json, limit=limit, markdown=markdown)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dep-ci``; returns the exit code."""
    # The cyclic collector would only rescan the freshly loaded cache (it holds no cycles)
    # again and again: about a tenth of a warm run. Restored for in-process callers.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run(cli, argv, "dep-ci")
    finally:
        if enabled:
            gc.enable()
