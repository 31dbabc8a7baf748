"""``velocity config``: inspect the effective settings."""

from __future__ import annotations

import click
import yaml

from velocity.core.cli import emit_json
from velocity.core.cli import json_option
from velocity.core.config import Settings

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect Velocity's settings.

    \f
    .. versionadded:: 0.1
    """


@config.command()
@json_option
@click.pass_obj
def show(settings: Settings, as_json: bool) -> int:
    """Print the effective settings (secrets masked) and the sources they came from.

    The human view is YAML, so it can be pasted into velocity.yaml.

    \f
    .. versionadded:: 0.1
    """
    # mode="json" renders every SecretStr as "**********".
    data = settings.model_dump(mode="json")
    sources = list(settings.sources)
    if as_json:
        emit_json({"settings": data, "sources": sources})
        return 0
    click.echo(f"# sources, lowest precedence first: {', '.join(sources)}")
    click.echo(yaml.safe_dump(data, sort_keys=False), nl=False)
    return 0
