"""Channels: one request in, one response out, whatever carries the bytes.

Each TARGET scheme has a factory in :data:`~velocity.livepatch.client._targets.TRANSPORTS`
that returns a :class:`Channel`.
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import IO
from typing import Protocol

from velocity.core.errors import VelocityError
from velocity.livepatch._inorder import InOrder
from velocity.livepatch.proto import pb
from velocity.livepatch.proto.framing import FrameError
from velocity.livepatch.proto.framing import read_frame
from velocity.livepatch.proto.framing import write_frame

__all__ = ["Channel", "FramedChannel", "StdioChannel", "TransportError"]


class TransportError(VelocityError):
    """The target could not be reached, or the connection broke.

    .. versionadded:: 0.1
    """


class Channel(Protocol):
    """What the client needs from a carrier.

    .. versionadded:: 0.1
    """

    bytes_sent: int
    bytes_received: int
    pipelined: bool  # call_many overlaps sending with the agent's work

    def call(self, request: pb.Request) -> pb.Response:
        """Send *request* and wait for its response."""
        ...

    def call_many(self, requests: Iterable[pb.Request]) -> list[pb.Response]:
        """Send every request, then collect the responses, in order."""
        ...

    def close(self) -> None:
        """Release the connection (and the agent process, for stdio carriers)."""
        ...


class FramedChannel:
    """A channel over any pair of byte streams speaking length-prefixed frames.

    .. versionadded:: 0.1
    """

    pipelined = True

    def __init__(self, writer: IO[bytes], reader: IO[bytes], what: str) -> None:
        self._writer, self._reader, self.what = writer, reader, what
        self.bytes_sent = 0
        self.bytes_received = 0

    def call(self, request: pb.Request) -> pb.Response:
        return self.call_many([request])[0]

    def call_many(self, requests: Iterable[pb.Request]) -> list[pb.Response]:
        # Responses are tiny and the agent answers each as it goes, so writing every
        # request before reading cannot fill the reply pipe (a part is megabytes).
        sent, failure, iterator = 0, None, iter(requests)
        sender: InOrder | None = None
        try:
            while True:
                try:
                    request = next(iterator)
                except StopIteration:
                    break
                except Exception as exc:  # producing a request failed: stop, but stay in step
                    failure = exc
                    break
                if sent == 0:
                    self._send(request)
                else:
                    # From the second request on, a thread writes while the next one is
                    # produced (a write mostly waits for the carrier: the SSH window).
                    sender = sender or InOrder("livepatch-send", queued=2)
                    sender.submit(functools.partial(self._send, request))
                sent += 1
        finally:
            if sender is not None:
                sender.finish()
        responses = [self._read() for _ in range(sent)]
        if failure is not None:
            raise failure
        return responses

    def _send(self, request: pb.Request) -> None:
        self.bytes_sent += self._write(request)

    def _write(self, request: pb.Request) -> int:
        try:
            return write_frame(self._writer, request)
        except OSError as exc:
            raise TransportError(f"{self.what}: connection broke ({exc}){self.detail()}") from None

    def stream(self, request: pb.Request) -> Iterator[pb.Response]:
        """Send *request* and yield responses until one is an error or a log record's end."""
        self._send(request)
        while True:
            response = self._read()
            yield response
            if response.WhichOneof("body") != "log" or response.log.end:
                return

    def _read(self) -> pb.Response:
        try:
            response = read_frame(self._reader, pb.Response())
        except (OSError, FrameError) as exc:
            raise TransportError(f"{self.what}: connection broke ({exc}){self.detail()}") from None
        if response is None:
            raise TransportError(f"{self.what}: the agent closed the connection{self.detail()}")
        self.bytes_received += 4 + response.ByteSize()
        return response

    def detail(self) -> str:
        return ""

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):
                stream.close()


class StdioChannel(FramedChannel):
    """Spawn ``livepatch-agent stdio`` (locally, or through ``docker exec -i``) and talk to it.

    .. versionadded:: 0.1
    """

    def __init__(self, argv: Sequence[str], what: str) -> None:
        self.argv = list(argv)
        try:
            self._proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise TransportError(f"{what}: cannot start {self.argv[0]!r}: {exc.strerror}") from None
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        super().__init__(self._proc.stdin, self._proc.stdout, what)

    def detail(self) -> str:
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        assert self._proc.stderr is not None
        lines = self._proc.stderr.read().decode(errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else f" (exit {self._proc.returncode})"

    def close(self) -> None:
        super().close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stderr is not None:
            self._proc.stderr.close()
