"""Receive a batch, whole or streamed in parts, into one engine transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from velocity.livepatch import codec
from velocity.livepatch.agent._convert import MAX_FILE
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


@dataclass
class _Pieces:
    sha256: bytes  # of the whole file
    hash: hashlib._Hash  # of what came so far
    size: int


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
        self._pieces: dict[str, _Pieces] = {}  # files begun in pieces, by path
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
        self._txn, self._written, self._pieces = None, [], {}

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
        changes = [c for c in batch.changes if c.WhichOneof("op") != "append"]
        ops = to_ops(changes, self.engine.read)
        self._begin_pieces(batch.changes, ops)
        count = self._txn.stage(ops)
        self._written += [
            w for c, op in zip(changes, ops, strict=True) if (w := self._big_one(c, op))
        ]
        for change in batch.changes:
            if change.WhichOneof("op") == "append":
                self._append(change)
        if batch.more:
            return pb.BatchReply(changed=count)
        if self._pieces:
            raise ValueError(f"{next(iter(self._pieces))!r} ended before its last piece")
        self.paths = self._txn.paths()
        token = self._txn.commit()
        written, self._txn, self._written = self._written, None, []
        for item in written:
            self._on_applied(item)
        return pb.BatchReply(token=token, changed=count)

    def _begin_pieces(self, changes: Sequence[pb.Change], ops: list[Op]) -> None:
        # Files sent in pieces: a whole with more set begins one, appends continue it, in
        # the order of the batch; the hash of the whole file is checked at its last piece.
        decoded = iter(ops)
        for change in changes:
            kind = change.WhichOneof("op")
            op = next(decoded) if kind != "append" else None
            if kind == "append" and change.path not in self._pieces:
                raise ValueError(f"a piece of {change.path!r}, which was not begun")
            if kind == "whole" and change.whole.more:
                if not change.sha256 or not isinstance(op, Put):
                    raise ValueError(f"{change.path!r} in pieces without its hash")
                self._pieces[change.path] = _Pieces(
                    change.sha256, hashlib.sha256(op.content), len(op.content)
                )

    def _append(self, change: pb.Change) -> None:
        assert self._txn is not None
        pieces = self._pieces.get(change.path)
        if pieces is None:
            raise ValueError(f"a piece of {change.path!r} after its last one")
        room = MAX_FILE - pieces.size
        data = codec.decompress(change.append.zstd, min(change.append.size, room))
        pieces.hash.update(data)
        pieces.size += len(data)
        self._txn.append(change.path, data)
        if change.append.more:
            return
        del self._pieces[change.path]
        if pieces.hash.digest() != pieces.sha256:
            raise ValueError(f"content of {change.path!r} does not match its hash")
        if pieces.size >= self._big:
            self._written.append(Written(change.path, pieces.sha256))

    def _big_one(self, change: pb.Change, op: Op) -> Written | None:
        if not change.sha256 or change.path in self._pieces:
            return None  # a file in pieces: reported at its last one
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
