"""Product B, "LivePatch": push local changes into a running process.

The public names below load on first use: the agent, shipped alone into a
container, imports this package too and must not pull in the controller side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from velocity.livepatch.agent import Engine
    from velocity.livepatch.agent import PathError
    from velocity.livepatch.client import TRANSPORTS
    from velocity.livepatch.client import AgentError
    from velocity.livepatch.client import Channel
    from velocity.livepatch.client import ConnectOptions
    from velocity.livepatch.client import Syncer
    from velocity.livepatch.client import SyncResult
    from velocity.livepatch.client import Target
    from velocity.livepatch.client import TransportError
    from velocity.livepatch.client import parse_target

__all__ = [
    "TRANSPORTS",
    "AgentError",
    "Channel",
    "ConnectOptions",
    "Engine",
    "PathError",
    "SyncResult",
    "Syncer",
    "Target",
    "TransportError",
    "parse_target",
]

_AGENT = {"Engine", "PathError"}


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = "velocity.livepatch.agent" if name in _AGENT else "velocity.livepatch.client"
    return getattr(importlib.import_module(module), name)
