"""Receive a batch, whole or streamed in parts, into one engine transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from velocity.livepatch import codec
from velocity.livepatch.agent._convert import to_ops
from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._ops import Patch
from velocity.livepatch.agent._ops import Put
from velocity.livepatch.agent._txn import Transaction
from velocity.livepatch.proto import pb

__all__ = ["BatchReceiver", "Written"]


@dataclass(frozen=True)
class Written:
    """A big file a batch wrote: its content in memory, or the delta it was built with."""

    path: str
    sha256: bytes
    content: bytes | None = None
    basis: bytes = b""  # the content hash of the delta's basis
    delta: codec.Delta | None = None


Applied = Callable[[Written], None]


class BatchReceiver:
    """Turn ``Batch`` messages into a transaction; any failure aborts the whole batch.

    :param streaming: accept batches in parts (one client per receiver, as on stdio).
    :param big: files at least this large are reported to *on_applied* after commit.
    """

    def __init__(self, engine: Engine, *, streaming: bool, on_applied: Applied, big: int) -> None:
        self.engine, self.streaming = engine, streaming
        self._on_applied, self._big = on_applied, big
        self._txn: Transaction | None = None
        self._stream = ""
        self._written: list[Written] = []
        self.paths: list[str] = []  # of the last committed batch

    def receive(self, batch: pb.Batch) -> pb.BatchReply:
        try:
            return self._receive(batch)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop an unfinished batch (a new one starts, or the client went away)."""
        if self._txn is not None:
            self._txn.abort()
        self._txn, self._written = None, []

    def _receive(self, batch: pb.Batch) -> pb.BatchReply:
        if batch.abort:
            if batch.stream_id == self._stream:
                self.abort()
            return pb.BatchReply()
        if batch.part == 0:
            self._start(batch)
        elif self._txn is None or batch.stream_id != self._stream:
            raise ValueError("a part of a batch that was aborted or never started")
        assert self._txn is not None
        ops = to_ops(batch.changes, self.engine.read)
        count = self._txn.stage(ops)
        self._written += [
            w for c, op in zip(batch.changes, ops, strict=True) if (w := self._big_one(c, op))
        ]
        if batch.more:
            return pb.BatchReply(changed=count)
        self.paths = self._txn.paths()
        token = self._txn.commit()
        written, self._txn, self._written = self._written, None, []
        for item in written:
            self._on_applied(item)
        return pb.BatchReply(token=token, changed=count)

    def _big_one(self, change: pb.Change, op: Op) -> Written | None:
        if not change.sha256:
            return None
        if isinstance(op, Patch):  # the client sends only big files as deltas
            return Written(op.path, change.sha256, basis=change.delta.basis_sha256, delta=op.delta)
        if isinstance(op, Put) and len(op.content) >= self._big:
            return Written(op.path, change.sha256, content=op.content)
        return None

    def _start(self, batch: pb.Batch) -> None:
        self.abort()  # a new batch replaces one its client abandoned
        if batch.more and not self.streaming:
            raise ValueError("this carrier takes a batch in one message")
        txn = self.engine.begin(keep_undo=True)  # for rollback
        # Checked under the engine's lock, so two clients cannot both pass it.
        if batch.base_token and batch.base_token != self.engine.token:
            txn.abort()
            raise ConflictError("the target changed since the client's last sync")
        self._txn, self._stream = txn, batch.stream_id
