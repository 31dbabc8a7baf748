"""``velocity hello``: prove that settings, logging and secret scrubbing work."""

from __future__ import annotations

import click
from pydantic import SecretStr

from velocity.core.cli import emit_json
from velocity.core.cli import json_option
from velocity.core.config import Settings

__all__ = ["hello"]


@click.command()
@click.option("--name", default="world", show_default=True, help="Who to greet.")
@click.option(
    "--token",
    metavar="TOKEN",
    help="A GitHub token (default: github.token from the settings).",
)
@json_option
@click.pass_obj
def hello(settings: Settings, name: str, token: str | None, as_json: bool) -> int:
    """Greet NAME and log the event (the token is scrubbed from the log).

    \f
    .. versionadded:: 0.1
    """
    from velocity.core.log import get_logger

    secret = SecretStr(token) if token else settings.github.token
    sources = list(settings.sources)
    # The raw token goes to the logger on purpose: the scrubber must redact it.
    get_logger("velocity.hello").info(
        "hello",
        name=name,
        token=secret.get_secret_value() if secret else None,
        sources=sources,
    )
    greeting = f"Hello, {name}!"
    if as_json:
        emit_json(
            {"greeting": greeting, "config_sources": sources, "token_set": secret is not None}
        )
    else:
        click.echo(greeting)
    return 0
