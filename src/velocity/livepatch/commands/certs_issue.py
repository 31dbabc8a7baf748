"""``livepatch certs issue agent|client NAME``: sign a certificate with the project CA."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from velocity.livepatch.certs import issue_agent
from velocity.livepatch.certs import issue_client

__all__ = ["certs_issue"]


def certs_issue(
    directory: Path,
    kind: str,
    name: str,
    *,
    out: Path | None,
    hosts: Sequence[str],
    allow: Sequence[str],
    hours: float,
) -> int:
    """Issue an agent's ``--tls-dir`` or this machine's short-lived client certificate.

    .. versionadded:: 0.1
    """
    if kind == "agent":
        target = issue_agent(
            directory, name, out or directory / "agents" / name, hosts=hosts, allow=allow
        )
        click.echo(
            f"agent certificate for {name}: pass --tls-dir {target} to livepatch-agent serve"
        )
    else:
        path = issue_client(directory, name, hours=hours)
        click.echo(f"client certificate for {name} (valid {hours:g} h): {path}")
    return 0
