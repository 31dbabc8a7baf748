"""Answer protocol requests with the engine: the agent's only entry point for clients.

Every carrier (stdio frames, gRPC) hands each request to :meth:`Service.handle`,
which never raises: refusals and failures become an ``Error`` response.
"""

from __future__ import annotations

import hashlib

from velocity.livepatch import codec
from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._manifest import HashCache
from velocity.livepatch.agent._manifest import scan
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._receiver import BatchReceiver
from velocity.livepatch.agent._sigcache import PRECOMPUTE_MIN
from velocity.livepatch.agent._sigcache import Precomputer
from velocity.livepatch.agent._sigcache import SignatureCache
from velocity.livepatch.proto import PROTOCOL_VERSION
from velocity.livepatch.proto import pb

__all__ = ["Service"]


class Service:
    """Serve one agent root.

    :param engine: the engine owning the root.

    .. versionadded:: 0.1
    """

    def __init__(self, engine: Engine, *, streaming: bool = True, precompute: bool = True) -> None:
        self.engine, self.streaming = engine, streaming
        self._hashes: HashCache = {}
        self._signatures = SignatureCache(engine.state_fd)
        self._precompute = Precomputer(self._store_signature) if precompute else None
        # One client per service when streaming (stdio): its receiver may hold a batch open.
        self._receiver = self._new_receiver() if streaming else None

    def close(self) -> None:
        """Abort a batch the client left unfinished."""
        if self._receiver is not None:
            self._receiver.abort()

    def handle(self, request: pb.Request) -> pb.Response:
        """Answer *request*; errors come back as ``Response.error``, never as exceptions."""
        try:
            return self._dispatch(request)
        except PathError as exc:
            return _error("refused", str(exc))
        except ConflictError as exc:
            return _error("conflict", str(exc))
        except (ValueError, FileNotFoundError) as exc:
            return _error("invalid", str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug or an I/O failure: the session must survive it
            return _error("internal", f"{type(exc).__name__}: {exc}")

    def _dispatch(self, request: pb.Request) -> pb.Response:
        kind = request.WhichOneof("body")
        if kind == "hello":
            return pb.Response(
                hello=pb.HelloReply(version=PROTOCOL_VERSION, token=self.engine.token)
            )
        if kind == "manifest":
            return pb.Response(manifest=self._manifest())
        if kind == "signatures":
            files = [self._signature(ref) for ref in request.signatures.files]
            return pb.Response(signatures=pb.SignatureReply(files=files))
        if kind == "batch":
            return pb.Response(batch=self._apply(request.batch))
        raise ValueError(f"unknown request {kind!r}")

    def _manifest(self) -> pb.Manifest:
        token = self.engine.token
        entries = [
            pb.Entry(
                path=f.path,
                kind=pb.SYMLINK if f.is_link else pb.FILE,
                sha256=f.sha256,
                mode=f.mode,
                target=f.target,
                size=f.size,
            )
            for f in scan(self.engine.root_fd, self._hashes)
        ]
        return pb.Manifest(token=token, entries=entries)

    def _signature(self, ref: pb.FileRef) -> pb.FileSignature:
        cached = self._signatures.get(ref.sha256)
        if cached is not None:
            cached.path = ref.path
            return cached
        data = self.engine.read(ref.path)
        message = self._store_signature(hashlib.sha256(data).digest(), data)
        message.path = ref.path
        return message

    def _store_signature(self, digest: bytes, data: bytes) -> pb.FileSignature:
        sig = codec.signature(data)
        message = pb.FileSignature(
            sha256=digest,
            block_size=sig.block_size,
            weak=sig.weak.astype("<u4").tobytes(),
            strong=b"".join(sig.strong),
            tail=sig.tail,
            tail_size=sig.tail_size,
        )
        self._signatures.put(digest, message)
        return message

    def _apply(self, batch: pb.Batch) -> pb.BatchReply:
        return (self._receiver or self._new_receiver()).receive(batch)

    def _new_receiver(self) -> BatchReceiver:
        def applied(digest: bytes, content: bytes) -> None:
            # The next delta against this file then finds its signature ready.
            if self._precompute is not None:
                self._precompute.submit(digest, content)

        return BatchReceiver(
            self.engine, streaming=self.streaming, on_applied=applied, big=PRECOMPUTE_MIN
        )


def _error(code: str, message: str) -> pb.Response:
    return pb.Response(error=pb.Error(code=code, message=message))
