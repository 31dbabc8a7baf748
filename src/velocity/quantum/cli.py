"""The ``quantum`` command line (a placeholder until issue #7 lands)."""

from __future__ import annotations

from collections.abc import Sequence

from velocity.core.cli import placeholder
from velocity.core.cli import run

__all__ = ["cli", "main"]

cli = placeholder("quantum", "Quantum Merge", 7)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``quantum``; returns the exit code."""
    return run(cli, argv, "quantum")
