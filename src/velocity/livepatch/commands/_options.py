"""Options every command that reaches a target shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeVar

import click

from velocity.livepatch.client._targets import ConnectOptions

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = [
    click.option(
        "--state-dir",
        default=".velocity/livepatch",
        show_default=True,
        type=click.Path(file_okay=False),
        help="Where the client remembers what it sent to each target.",
    ),
    click.option(
        "--agent-command",
        default="livepatch-agent",
        show_default=True,
        help="How to start the agent on the far side (ssh://, docker://).",
    ),
    click.option("--known-hosts", type=click.Path(dir_okay=False), help="SSH known_hosts file."),
    click.option("--identity", "-i", type=click.Path(dir_okay=False), help="SSH private key."),
    click.option(
        "--tls-dir",
        default=".velocity/livepatch/certs",
        show_default=True,
        type=click.Path(file_okay=False),
        help="ca.crt, client.crt and client.key for agent:// targets.",
    ),
]


def connect_options(func: F) -> F:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def to_connect_options(kwargs: dict[str, Any]) -> ConnectOptions:
    return ConnectOptions(
        agent_command=kwargs["agent_command"],
        known_hosts=kwargs["known_hosts"],
        identity=kwargs["identity"],
        tls_dir=kwargs["tls_dir"],
    )
