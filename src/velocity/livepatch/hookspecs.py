"""Hook specifications LivePatch plugins implement.

A plugin is a module (or object) registered under the ``velocity.livepatch`` entry point
group; it marks its implementations with :data:`hookimpl`::

    from velocity.livepatch.hookspecs import hookimpl

    @hookimpl
    def livepatch_transports():
        return {"kubectl": open_kubectl}

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from velocity.livepatch.client._channel import Channel
    from velocity.livepatch.client._plan import Plan
    from velocity.livepatch.client._sync import SyncResult
    from velocity.livepatch.client._targets import ConnectOptions
    from velocity.livepatch.client._targets import Target

__all__ = ["PROJECT", "ReloaderFactory", "TransportFactory", "hookimpl", "hookspec"]

PROJECT = "velocity.livepatch"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

TransportFactory = Callable[["Target", "ConnectOptions"], "Channel"]
# Returns a velocity.livepatch.reloaders.Reloader (kept as object so plugins need not import it).
ReloaderFactory = Callable[[str], object]


@hookspec
def livepatch_transports() -> Mapping[str, TransportFactory]:
    """Add TARGET schemes.

    :return: scheme (``"kubectl"``) -> factory ``(target, options) -> Channel``, called like
        the built-in ones in :data:`velocity.livepatch.client.TRANSPORTS`. A URL of a plugin
        scheme is parsed generically: host, port, user and path come from the URL.

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def livepatch_reloaders() -> Mapping[str, ReloaderFactory]:
    """Add reload strategies.

    :return: name (``"uvicorn"``) -> factory ``(arg) -> Reloader``; *arg* is what followed
        ``NAME:`` in the reload spec (empty when nothing did).

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def livepatch_filter(path: str) -> bool | None:
    """Whether to leave *path* (root-relative, directories end with ``/``) out of syncs.

    :return: ``True`` to exclude it; ``None`` or ``False`` to leave the decision to the
        ignore files and other plugins. Called for every path a scan looks at: keep it cheap.

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def livepatch_pre_sync(target: str, changes: Plan) -> None:
    """Called with what one batch will change (puts, links, chmods, deletes), before it is
    sent to *target* (a URL); not called when nothing changed.

    Raising a :class:`~velocity.core.errors.VelocityError` stops the sync with that message.

    .. versionadded:: 0.2
    """


@hookspec
def livepatch_post_sync(result: SyncResult) -> None:
    """Called after a sync was applied by the agent (not when nothing changed).

    .. versionadded:: 0.2
    """
