"""The gRPC carrier: a long-running agent reached over mutual TLS (``agent://host:port``)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

import grpc

from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import Target
from velocity.livepatch.proto import pb
from velocity.livepatch.proto.framing import MAX_FRAME

__all__ = ["METHOD", "GrpcChannel"]

METHOD = "/velocity.livepatch.v1.Agent/Call"
LOGS_METHOD = "/velocity.livepatch.v1.Agent/Logs"
_OVERHEAD = 9  # gRPC message prefix (5) and a share of the HTTP/2 frame header, for reports


class GrpcChannel:
    """Client side of ``livepatch-agent serve``; certificates come from ``options.tls_dir``.

    .. versionadded:: 0.1
    """

    def __init__(self, target: Target, options: ConnectOptions) -> None:
        self.url, self.timeout = target.url, options.timeout
        self.bytes_sent = 0
        self.bytes_received = 0
        tls = Path(options.tls_dir)
        try:
            creds = grpc.ssl_channel_credentials(
                root_certificates=(tls / "ca.crt").read_bytes(),
                private_key=(tls / "client.key").read_bytes(),
                certificate_chain=(tls / "client.crt").read_bytes(),
            )
        except OSError as exc:
            raise TransportError(f"{target.url}: missing client certificate: {exc}") from None
        limits = [
            ("grpc.max_send_message_length", MAX_FRAME),
            ("grpc.max_receive_message_length", MAX_FRAME),
        ]
        self._channel = grpc.secure_channel(f"{target.host}:{target.port}", creds, limits)
        self._call = self._channel.unary_unary(
            METHOD,
            request_serializer=pb.Request.SerializeToString,
            response_deserializer=pb.Response.FromString,
        )

        self._logs = self._channel.unary_stream(
            LOGS_METHOD,
            request_serializer=pb.LogsRequest.SerializeToString,
            response_deserializer=pb.LogRecord.FromString,
        )

    def call(self, request: pb.Request) -> pb.Response:
        try:
            response: pb.Response = self._call(request, timeout=self.timeout * 30)
        except grpc.RpcError as exc:
            raise self._error(exc) from None
        self.bytes_sent += request.ByteSize() + _OVERHEAD
        self.bytes_received += response.ByteSize() + _OVERHEAD
        return response

    def stream(self, request: pb.Request) -> Iterator[pb.Response]:
        """A ``logs`` request over the server-streaming Logs RPC, as ``Response.log`` records."""
        call = self._logs(request.logs)
        try:
            for record in call:
                yield pb.Response(log=record)
        except grpc.RpcError as exc:
            if getattr(exc, "code", lambda: None)() == grpc.StatusCode.FAILED_PRECONDITION:
                yield pb.Response(error=pb.Error(code="unsupervised", message=_details(exc)))
                return
            raise self._error(exc) from None
        finally:
            call.cancel()
        yield pb.Response(log=pb.LogRecord(end=True))

    def _error(self, exc: grpc.RpcError) -> TransportError:
        # Raised errors are also grpc.Call objects, which the stubs cannot express.
        code = getattr(exc, "code", None)
        name = code().name if callable(code) else "ERROR"
        return TransportError(f"{self.url}: {name}: {_details(exc)}")

    pipelined = False  # the agent takes unary calls on a thread pool: no ordering to rely on

    def call_many(self, requests: Iterable[pb.Request]) -> list[pb.Response]:
        return [self.call(request) for request in requests]

    def close(self) -> None:
        self._channel.close()


def _details(exc: grpc.RpcError) -> str:
    details = getattr(exc, "details", None)
    return str(details() if callable(details) else exc)
