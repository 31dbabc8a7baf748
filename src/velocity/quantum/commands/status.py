"""``quantum status``: the local merge queue, its builds and what already left it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from velocity.core.cli import emit_json
from velocity.core.cli import json_option
from velocity.quantum import _queue as q
from velocity.quantum.commands._common import QueueArgs
from velocity.quantum.commands._common import queue_options
from velocity.quantum.executors.local import default_logdir
from velocity.quantum.model import QueueState

__all__ = ["status"]

LOGS = 100  # most recent build logs listed


@click.command()
@queue_options
@json_option
def status(
    queue_args: QueueArgs,
    as_json: bool,
) -> int:
    """Show the queue in merge order with each PR's build."""
    queue = queue_args.open()
    try:
        state = queue.sync()
        data = _data(state, queue.branch_sha(), queue_args.base, default_logdir(queue_args.repo))
    finally:
        queue.store.close()
    if as_json:
        emit_json(data)
        return 0
    click.echo(f"{queue_args.base} at {data['base'][:12]}, {len(data['queue'])} queued")
    for row in data["queue"]:
        build = f"{row['build']} {row['build_status']}" if row["build"] else "waiting"
        click.echo(f"  {row['position']:>3}. #{row['pr']} {row['head'][:12]}  {build}")
    for pr, final in data["finished"]:
        click.echo(f"  #{pr} {final}")
    return 0


def _data(state: QueueState, branch_sha: str, base: str, logdir: Path) -> dict[str, Any]:
    builds = q.valid_by_length(state)
    # Logs of builds run on this machine (workers elsewhere keep theirs), newest last.
    found = sorted(logdir.glob("*.log"), key=lambda p: p.stat().st_mtime)[-LOGS:]
    logs = {path.stem: str(path) for path in found}
    rows = []
    for index, entry in enumerate(state.queue):
        build = builds.get(index + 1)
        rows.append(
            {
                "position": index + 1,
                "pr": entry.pr,
                "head": entry.head_sha,
                "priority": entry.priority,
                "build": build.build_id if build else None,
                "build_status": build.status if build else None,
                "log": logs.get(build.build_id) if build else None,
            }
        )
    return {
        "branch": base,
        "base": branch_sha,
        "queue": rows,
        "logs": logs,
        "finished": [list(item) for item in state.finished],
    }
