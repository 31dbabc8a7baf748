"""Placeholder for the ``velocity`` tool."""

from __future__ import annotations

from collections.abc import Sequence

from velocity.core.cli import placeholder
from velocity.core.cli import run

cli = placeholder("velocity", "velocity", 2)


def main(argv: Sequence[str] | None = None) -> int:
    return run(cli, argv, "velocity")
