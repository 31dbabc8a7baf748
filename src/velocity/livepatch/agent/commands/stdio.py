"""``livepatch-agent stdio``: serve one client over stdin/stdout (SSH, docker/kubectl exec)."""

from __future__ import annotations

import sys

from google.protobuf.message import DecodeError

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

    :raises ProtocolError: on a malformed frame (any batch in progress is dropped).

    .. versionadded:: 0.1
    """
    with Engine(root) as engine:
        try:
            serve_stdio(Service(engine), sys.stdin.buffer, sys.stdout.buffer)
        except (FrameError, DecodeError) as exc:
            raise ProtocolError(f"not a LivePatch client: {exc}") from None
    return 0
