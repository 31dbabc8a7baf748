"""The stdio carrier: frames in on stdin, frames out on stdout, until stdin closes."""

from __future__ import annotations

from typing import IO

from velocity.livepatch.agent._service import Service
from velocity.livepatch.proto import pb
from velocity.livepatch.proto.framing import read_frame
from velocity.livepatch.proto.framing import write_frame

__all__ = ["serve_stdio"]


def serve_stdio(service: Service, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Answer requests from *stdin* on *stdout*; returns the number answered.

    .. versionadded:: 0.1
    """
    answered = 0
    try:
        while (request := read_frame(stdin, pb.Request())) is not None:
            write_frame(stdout, service.handle(request))
            answered += 1
    finally:
        service.close()  # a client that vanished mid-stream leaves nothing half-staged
    return answered
