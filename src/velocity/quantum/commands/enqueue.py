"""``quantum enqueue``: put a pull request in the local merge queue."""

from __future__ import annotations

import click

from velocity.core.cli import json_option
from velocity.quantum.commands._common import QueueArgs
from velocity.quantum.commands._common import queue_options
from velocity.quantum.commands._common import report
from velocity.quantum.model import Enqueue

__all__ = ["enqueue"]


@click.command()
@click.argument("pr", type=click.IntRange(min=1))
@click.option("--head", required=True, help="The PR's head: a branch, tag or SHA.")
@click.option("--priority", default=0, show_default=True, type=int)
@queue_options
@json_option
def enqueue(
    pr: int,
    head: str,
    priority: int,
    queue_args: QueueArgs,
    as_json: bool,
) -> int:
    """Queue PR at HEAD; builds start as the strategy allows."""
    queue = queue_args.open()
    try:
        queue.fetch()  # with a remote, the head may only be there
        sha = queue.merger.git("rev-parse", "--verify", f"{head}^{{commit}}").strip()
        actions = queue.apply(Enqueue(pr, sha, priority))
    finally:
        queue.store.close()
    report(actions, as_json)
    return 0
