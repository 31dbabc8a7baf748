"""``quantum dequeue``: take a pull request out of the local merge queue."""

from __future__ import annotations

import click

from velocity.core.cli import json_option
from velocity.core.errors import UsageError
from velocity.quantum.commands._common import QueueArgs
from velocity.quantum.commands._common import queue_options
from velocity.quantum.commands._common import report
from velocity.quantum.model import Dequeue

__all__ = ["dequeue"]


@click.command()
@click.argument("pr", type=click.IntRange(min=1))
@queue_options
@json_option
def dequeue(
    pr: int,
    queue_args: QueueArgs,
    as_json: bool,
) -> int:
    """Remove PR from the queue, cancelling the builds that contain it."""
    queue = queue_args.open()
    try:
        if all(e.pr != pr for e in queue.sync().queue):
            raise UsageError(f"#{pr} is not in the queue")
        actions = queue.apply(Dequeue(pr))
    finally:
        queue.store.close()
    report(actions, as_json)
    return 0
