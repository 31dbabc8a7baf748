"""Answer protocol requests with the engine: the agent's only entry point for clients.

Every carrier (stdio frames, gRPC) hands each request to :meth:`Service.handle`,
which never raises: refusals and failures become an ``Error`` response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Iterator

from velocity.livepatch import codec
from velocity.livepatch.agent._convert import signature_from_pb
from velocity.livepatch.agent._convert import signature_to_pb
from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._logring import Record
from velocity.livepatch.agent._manifest import HashCache
from velocity.livepatch.agent._manifest import scan
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._patch import map_file
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._receiver import BatchReceiver
from velocity.livepatch.agent._receiver import Written
from velocity.livepatch.agent._sigcache import PRECOMPUTE_MIN
from velocity.livepatch.agent._sigcache import Precomputer
from velocity.livepatch.agent._sigcache import SignatureCache
from velocity.livepatch.agent._supervisor import Supervisor
from velocity.livepatch.proto import PROTOCOL_VERSION
from velocity.livepatch.proto import pb

__all__ = ["UNSUPERVISED", "Service"]

_PRECOMPUTE_WAIT = 30.0  # seconds; after that the request computes the signature itself
UNSUPERVISED = (
    "no supervisor runs for this root (start the app with 'livepatch-agent run --root ROOT -- CMD')"
)


class Service:
    """Serve one agent root.

    :param engine: the engine owning the root.
    :param supervisor: the app's supervisor (``livepatch-agent run``), if one runs here:
        it reloads after each batch, rolls back, and keeps the logs.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 *supervisor*; rollback and logs requests.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        streaming: bool = True,
        precompute: bool = True,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.engine, self.streaming, self.supervisor = engine, streaming, supervisor
        self._hashes: HashCache = {}
        self._signatures = SignatureCache(engine.state_fd)
        self._precompute = Precomputer(self._store_signature) if precompute else None
        # One client per service when streaming (stdio): its receiver may hold a batch open.
        self._receiver = self._new_receiver() if streaming else None

    def close(self) -> None:
        """Abort a batch the client left unfinished; release the signature cache."""
        if self._receiver is not None:
            self._receiver.abort()
        if self._precompute is None:  # else its thread may still write through the cache
            self._signatures.close()

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
        if kind == "rollback":
            return pb.Response(rollback=self._rollback())
        if kind == "logs":
            raise ValueError("logs come as a stream: use the Logs RPC or a stdio carrier")
        raise ValueError(f"unknown request {kind!r}")

    def logs(self, request: pb.LogsRequest, alive: Callable[[], bool]) -> Iterator[pb.Response]:
        """History, then (``follow``) new records until *alive* turns false; ends with an
        ``end`` record, or is one ``unsupervised`` error. Idle followers get empty records
        about every second (a carrier's chance to notice a client that left)."""
        if self.supervisor is None:
            yield _error("unsupervised", UNSUPERVISED)
            return
        ring = self.supervisor.ring
        history = ring.history(request.lines)
        yield from (pb.Response(log=_record(r)) for r in history)
        if request.follow:
            after = history[-1].seq if history else -1
            for record in ring.follow(after, alive):
                yield pb.Response(log=pb.LogRecord() if record is None else _record(record))
        yield pb.Response(log=pb.LogRecord(end=True))

    def _rollback(self) -> pb.RollbackReply:
        if self.supervisor is not None:
            return self.supervisor.rollback()
        undone = self.engine.rollback()
        reply = pb.RollbackReply(
            rolled_back=undone.done, reason=undone.reason or "on demand", token=undone.token
        )
        if undone.done:
            reply.paths.extend(undone.paths)
            reply.reload.CopyFrom(_unsupervised())
        return reply

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
        if self._precompute is not None:
            self._precompute.wait(ref.sha256, timeout=_PRECOMPUTE_WAIT)
        cached = self._signatures.get(ref.sha256)
        if cached is not None:
            cached.path = ref.path
            return cached
        data = self.engine.read(ref.path)
        message = self._store_signature(hashlib.sha256(data).digest(), data)
        message.path = ref.path
        return message

    def _store_signature(self, digest: bytes, data: bytes) -> pb.FileSignature:
        message = signature_to_pb(digest, codec.signature(data))
        self._signatures.put(digest, message)
        return message

    def _after_patch(self, item: Written) -> None:
        if not self._derive_signature(item):
            data = self.engine.read(item.path)
            if hashlib.sha256(data).digest() == item.sha256:
                self._store_signature(item.sha256, data)

    def _derive_signature(self, item: Written) -> bool:
        # From the basis's cached signature, hashing only the new blocks.
        old = self._signatures.get(item.basis) if item.delta is not None else None
        if old is None or item.delta is None:
            return False
        mapped = map_file(self.engine.root_fd, item.path)
        if mapped is None:
            return False
        with mapped, memoryview(mapped) as new:
            try:
                derived = codec.derive_signature(signature_from_pb(old), item.delta, new)
            except ValueError:
                return False
            if hashlib.sha256(new).digest() != item.sha256:
                return False  # changed since the batch: its signature is not this one
        self._signatures.put(item.sha256, signature_to_pb(item.sha256, derived))
        return True

    def _apply(self, batch: pb.Batch) -> pb.BatchReply:
        receiver = self._receiver or self._new_receiver()
        reply = receiver.receive(batch)
        if batch.more or batch.abort or batch.defer_reload:
            return reply
        if self.supervisor is None:
            reply.reload.CopyFrom(_unsupervised())
            return reply
        result, rollback = self.supervisor.after_batch(receiver.paths)
        reply.reload.CopyFrom(result)
        if rollback is not None:
            reply.rollback.CopyFrom(rollback)
        return reply

    def _new_receiver(self) -> BatchReceiver:
        def applied(item: Written) -> None:
            # The next delta against this file then finds its signature ready: derived
            # from its basis's signature if cached (cheap), else computed, off the reply's path.
            if self._precompute is None:
                return
            if item.content is None:
                self._precompute.submit_work(item.sha256, lambda: self._after_patch(item))
            else:
                self._precompute.submit(item.sha256, item.content)

        return BatchReceiver(
            self.engine, streaming=self.streaming, on_applied=applied, big=PRECOMPUTE_MIN
        )


def _unsupervised() -> pb.ReloadResult:
    # The client shows it as "none (no supervisor)"; logs requests get UNSUPERVISED in full.
    return pb.ReloadResult(strategy="none", ok=True, supervised=False)


def _record(record: Record) -> pb.LogRecord:
    return pb.LogRecord(time=record.time, stream=record.stream, text=record.text, kind=record.kind)


def _error(code: str, message: str) -> pb.Response:
    return pb.Response(error=pb.Error(code=code, message=message))
