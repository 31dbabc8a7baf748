"""``livepatch-agent stdio``: serve one client over stdin/stdout (SSH, docker/kubectl exec)."""

from __future__ import annotations

import sys

from google.protobuf.message import DecodeError

from velocity.livepatch.agent._control import connect_supervisor
from velocity.livepatch.agent._control import relay
from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._service import Service
from velocity.livepatch.agent._stdio import serve_stdio
from velocity.livepatch.proto.framing import FrameError

__all__ = ["ProtocolError", "stdio"]


class ProtocolError(Exception):
    """The client sent something that is not a LivePatch frame; nothing of it was applied.

    .. versionadded:: 0.1
    """


def stdio(root: str) -> int:
    """Serve the root *root* on this process's stdin and stdout until stdin closes.

    When ``livepatch-agent run`` supervises *root*, relay to it instead.

    :raises ProtocolError: on a malformed frame (any batch in progress is dropped).

    .. versionadded:: 0.1
    """
    supervisor = connect_supervisor(root)
    if supervisor is not None:
        # `livepatch-agent run` owns this root and its app: everything goes through it.
        relay(supervisor, sys.stdin.fileno(), sys.stdout.fileno())
        return 0
    with Engine(root) as engine:
        try:
            serve_stdio(Service(engine), sys.stdin.buffer, sys.stdout.buffer)
        except (FrameError, DecodeError) as exc:
            raise ProtocolError(f"not a LivePatch client: {exc}") from None
    return 0
