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
            if request.WhichOneof("body") == "logs":
                _stream_logs(service, request.logs, stdout)
            else:
                write_frame(stdout, service.handle(request))
            answered += 1
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client left (a follower stops like this): nothing more to answer
    finally:
        service.close()  # a client that vanished mid-stream leaves nothing half-staged
    return answered


def _stream_logs(service: Service, request: pb.LogsRequest, stdout: IO[bytes]) -> None:
    # Many frames for one request; a client that left shows up as a failed write.
    for response in service.logs(request, lambda: True):
        write_frame(stdout, response)
