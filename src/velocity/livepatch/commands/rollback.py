"""``livepatch rollback TARGET``: undo the last batch applied to TARGET, then reload the app."""

from __future__ import annotations

import click

from velocity.core.cli import emit_json
from velocity.livepatch.client._live import rollback as rollback_target
from velocity.livepatch.client._results import RollbackResult
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.commands.sync import describe_reload
from velocity.livepatch.commands.sync import reload_dict

__all__ = ["rollback"]


def rollback(target_url: str, options: ConnectOptions, as_json: bool) -> int:
    """Roll back the last batch on *target_url*; exit 1 when there was nothing to undo.

    .. versionadded:: 0.2
    """
    result = rollback_target(target_url, options=options)
    if as_json:
        emit_json(rollback_dict(result))
    elif not result.rolled_back:
        click.echo(f"{result.target}: {result.reason}", err=True)
    else:
        click.echo(
            f"{result.target}: rolled back {len(result.paths)} changes "
            f"in {result.seconds * 1000:.0f} ms"
        )
        if result.reload is not None:
            click.echo(describe_reload(result.reload))
    return 0 if result.rolled_back else 1


def rollback_dict(result: RollbackResult) -> dict[str, object]:
    return {
        "target": result.target,
        "rolled_back": result.rolled_back,
        "reason": result.reason,
        "paths": list(result.paths),
        "reload": None if result.reload is None else reload_dict(result.reload),
        "seconds": round(result.seconds, 4),
    }
