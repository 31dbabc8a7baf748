"""The ``quantum`` command line: the merge queue engine, its simulator and local queue."""

from __future__ import annotations

from collections.abc import Sequence

import click

from velocity.core.cli import run
from velocity.core.cli import version_option
from velocity.quantum.commands.dequeue import dequeue
from velocity.quantum.commands.enqueue import enqueue
from velocity.quantum.commands.serve import serve
from velocity.quantum.commands.simulate import simulate
from velocity.quantum.commands.status import status
from velocity.quantum.commands.worker import worker

__all__ = ["cli", "main"]


@click.group(name="quantum", no_args_is_help=True)
@version_option("quantum")
def cli() -> None:
    """Quantum Merge: a speculative merge queue."""


for command in (enqueue, dequeue, status, worker, simulate, serve):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``quantum``; returns the exit code.

    .. versionadded:: 0.1
    """
    return run(cli, argv, "quantum")
