"""The plugin manager: first-party and third-party plugins found through entry points.

.. versionadded:: 0.2
"""

from __future__ import annotations

import functools
import importlib.metadata
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import pluggy

from velocity.livepatch import hookspecs

__all__ = ["ENTRY_POINT_GROUP", "PluginWarning", "get_plugin_manager", "has_impl", "merged"]

ENTRY_POINT_GROUP = "velocity.livepatch"


class PluginWarning(UserWarning):
    """A plugin could not be loaded; LivePatch goes on without it.

    .. versionadded:: 0.2
    """


@functools.cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with every ``velocity.livepatch`` entry point loaded.

    A plugin that fails to import is reported with one :class:`PluginWarning` naming it.

    .. versionadded:: 0.2
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:
            message = f"livepatch plugin {ep.name!r} ({ep.value}) failed to load: {exc}"
            warnings.warn(" ".join(message.split()), PluginWarning, stacklevel=2)
    return pm


def has_impl(hook_name: str) -> bool:
    """Whether any registered plugin implements *hook_name* (the fast path skips the call).

    .. versionadded:: 0.2
    """
    caller = getattr(get_plugin_manager().hook, hook_name)
    return bool(caller.get_hookimpls())


def merged(results: Iterable[Any]) -> dict[str, Callable[..., Any]]:
    """Merge the mappings a registry hook returned; the first plugin to claim a name wins.

    .. versionadded:: 0.2
    """
    out: dict[str, Callable[..., Any]] = {}
    # pluggy calls later-registered plugins first; reversed gives registration order.
    for mapping in reversed(list(results)):
        for name, factory in dict(mapping).items():
            out.setdefault(name, factory)
    return out
