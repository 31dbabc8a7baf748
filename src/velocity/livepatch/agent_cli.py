"""The ``livepatch-agent`` command line (a placeholder until issue #5 lands)."""

from __future__ import annotations

from collections.abc import Sequence

from velocity.core.cli import placeholder
from velocity.core.cli import run

__all__ = ["cli", "main"]

cli = placeholder("livepatch-agent", "the LivePatch agent", 5)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``livepatch-agent``; returns the exit code."""
    return run(cli, argv, "livepatch-agent")
