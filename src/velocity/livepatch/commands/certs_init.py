"""``livepatch certs init``: create the project CA."""

from __future__ import annotations

from pathlib import Path

import click

from velocity.livepatch.certs import init_ca

__all__ = ["certs_init"]


def certs_init(directory: Path) -> int:
    """Create ``ca.crt`` and ``ca.key`` in *directory*.

    .. versionadded:: 0.1
    """
    path = init_ca(directory)
    click.echo(f"created the project CA: {path} (keep {directory / 'ca.key'} private)")
    return 0
