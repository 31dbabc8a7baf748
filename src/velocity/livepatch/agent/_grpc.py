"""The gRPC carrier, agent side: mutual TLS against the project CA, then an allowlist.

The TLS handshake already refuses a client without a certificate, with one from
another CA, or an expired one; a valid client whose name is not allowed is
refused before its request reaches the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

from velocity.livepatch.agent._service import UNSUPERVISED
from velocity.livepatch.agent._service import Service
from velocity.livepatch.proto import pb
from velocity.livepatch.proto.framing import MAX_FRAME

__all__ = ["ALLOWLIST_FILE", "load_allowlist", "start_server"]

ALLOWLIST_FILE = "allowed-clients"
_SERVICE = "velocity.livepatch.v1.Agent"


def load_allowlist(tls_dir: Path, extra: Iterable[str] = ()) -> set[str]:
    """Client names from ``tls_dir/allowed-clients`` (one a line) plus *extra*.

    .. versionadded:: 0.1
    """
    names = set(extra)
    path = tls_dir / ALLOWLIST_FILE
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        names.update(n.strip() for n in lines if n.strip() and not n.startswith("#"))
    return names


def start_server(
    service: Service, listen: str, tls_dir: Path, allow: set[str], *, workers: int = 4
) -> tuple[grpc.Server, int]:
    """Start serving *service* on *listen* (``HOST:PORT``, port 0 picks one).

    :param workers: threads for calls; each ``logs -f`` follower holds one.
    :returns: the running server and its port.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 the ``Logs`` RPC; *workers*.
    """
    creds = grpc.ssl_server_credentials(
        [((tls_dir / "agent.key").read_bytes(), (tls_dir / "agent.crt").read_bytes())],
        root_certificates=(tls_dir / "ca.crt").read_bytes(),
        require_client_auth=True,
    )
    limits = [
        ("grpc.max_send_message_length", MAX_FRAME),
        ("grpc.max_receive_message_length", MAX_FRAME),
    ]
    server = grpc.server(ThreadPoolExecutor(max_workers=workers), options=limits)
    handler = _Handler(service, frozenset(allow))
    methods: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Call": grpc.unary_unary_rpc_method_handler(
            handler,
            request_deserializer=pb.Request.FromString,
            response_serializer=pb.Response.SerializeToString,
        ),
        "Logs": grpc.unary_stream_rpc_method_handler(
            handler.logs,
            request_deserializer=pb.LogsRequest.FromString,
            response_serializer=pb.LogRecord.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(_SERVICE, methods),))
    port = server.add_secure_port(listen, creds)
    server.start()
    return server, port


class _Handler:
    def __init__(self, service: Service, allow: frozenset[str]) -> None:
        self.service, self.allow = service, allow

    def __call__(self, request: pb.Request, context: grpc.ServicerContext) -> pb.Response:
        self._check(context)
        return self.service.handle(request)

    def logs(
        self, request: pb.LogsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.LogRecord]:
        self._check(context)
        if self.service.supervisor is None:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, UNSUPERVISED)
        for response in self.service.logs(request, context.is_active):
            if not response.log.end:
                yield response.log

    def _check(self, context: grpc.ServicerContext) -> None:
        raw: Iterable[bytes | int] = context.auth_context().get("x509_common_name", [])
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in raw]
        if not any(name in self.allow for name in names):
            who = ", ".join(names) or "a client without a name"
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"{who} is not on this agent's allowlist"
            )
