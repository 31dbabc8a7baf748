"""The ``dep-ci`` command line (a placeholder until issue #3 lands)."""

from __future__ import annotations

from collections.abc import Sequence

from velocity.core.cli import placeholder
from velocity.core.cli import run

__all__ = ["cli", "main"]

cli = placeholder("dep-ci", "Dependency-Aware CI", 3)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dep-ci``; returns the exit code."""
    return run(cli, argv, "dep-ci")
