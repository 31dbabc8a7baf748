"""``quantum worker``: run the queue's builds on this machine."""

from __future__ import annotations

import click

from velocity.quantum.commands._common import QueueArgs
from velocity.quantum.commands._common import queue_options
from velocity.quantum.commands._common import velocity_dir
from velocity.quantum.executors.local import LocalExecutor
from velocity.quantum.worker import Worker

__all__ = ["worker"]


@click.command()
@click.option("--command", "build_command", required=True, help="What a build runs, e.g. 'pytest'.")
@click.option("--name", default=None, help="Worker name (default: host-pid).")
@click.option("--once", is_flag=True, help="Exit when no job is waiting.")
@click.option(
    "--reclaim-after",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="Take over another worker's job after it is idle this many seconds.",
)
@click.option(
    "--timeout",
    default=None,
    type=click.FloatRange(min=0.0, min_open=True),
    help="Stop a build after this many seconds and report a timeout.",
)
@queue_options
def worker(
    build_command: str,
    name: str | None,
    once: bool,
    reclaim_after: float,
    timeout: float | None,
    queue_args: QueueArgs,
) -> int:
    """Take build jobs, run COMMAND in a worktree of each speculative commit, report back."""
    queue = queue_args.open()
    repo = queue_args.repo
    executor = LocalExecutor(repo, build_command, workdir=velocity_dir(repo) / "worktrees")
    runner = Worker(
        queue, executor, name, reclaim_after_ms=int(reclaim_after * 1000), timeout=timeout
    )
    try:
        if once:
            click.echo(f"{runner.run_once()} jobs run")
        else:
            runner.run_forever()
    finally:
        queue.store.close()
    return 0
