"""The controller side of LivePatch: scan, plan, encode, and reach targets."""

from __future__ import annotations

from velocity.livepatch.client._channel import Channel
from velocity.livepatch.client._channel import FramedChannel
from velocity.livepatch.client._channel import StdioChannel
from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._live import rollback
from velocity.livepatch.client._live import stream_logs
from velocity.livepatch.client._plan import Plan
from velocity.livepatch.client._plan import make_plan
from velocity.livepatch.client._results import LogEvent
from velocity.livepatch.client._results import RollbackResult
from velocity.livepatch.client._scan import load_ignore
from velocity.livepatch.client._scan import scan
from velocity.livepatch.client._sync import AgentError
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._sync import SyncResult
from velocity.livepatch.client._targets import TRANSPORTS
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import Target
from velocity.livepatch.client._targets import connect
from velocity.livepatch.client._targets import parse_target

__all__ = [
    "TRANSPORTS",
    "AgentError",
    "Channel",
    "ConnectOptions",
    "FramedChannel",
    "LogEvent",
    "Plan",
    "RollbackResult",
    "StdioChannel",
    "SyncResult",
    "Syncer",
    "Target",
    "TransportError",
    "connect",
    "load_ignore",
    "make_plan",
    "parse_target",
    "rollback",
    "scan",
    "stream_logs",
]
