"""How a plan's changes are cut into batches and parts.

A batch is atomic on the target; a part is a piece of one batch sent while the
next is still being encoded (pipelined carriers only).
"""

from __future__ import annotations

from collections.abc import Iterator

from velocity.livepatch.client._plan import Plan
from velocity.livepatch.proto import pb

__all__ = ["PART_BYTES", "needs_deletes_first", "parts"]

PART_BYTES = 4 << 20  # big enough to amortise a round of work, small enough to overlap
FIRST_PART_BYTES = 256 << 10  # the target starts working sooner


def needs_deletes_first(plan: Plan) -> bool:
    # A path that turns from a directory into a file (or back) needs its deletes applied
    # in a batch of their own; otherwise everything goes in one atomic batch.
    deleted = set(plan.deletes)
    written = {f.path for f in (*plan.puts, *plan.links, *plan.chmods)}
    prefixes = {p.rsplit("/", k)[0] for p in deleted | written for k in range(1, p.count("/") + 1)}
    return bool(prefixes & deleted or prefixes & written)


def parts(
    changes: Iterator[pb.Change], base_token: str, stream_id: str, *, defer_reload: bool = False
) -> Iterator[pb.Request]:
    part, size = 0, 0
    pending: list[pb.Change] = []
    for change in changes:
        bytes_ = _size(change)
        alone = bytes_ >= PART_BYTES or _is_piece(change)
        if pending and alone:
            # A big file, or a piece of one, goes in a part of its own: the smaller ones
            # before it need not wait for its transfer, and each piece is written on the
            # target while the next is compressed and sent.
            yield _request(pending, base_token, stream_id, part, more=True)
            part, size, pending = part + 1, 0, []
        pending.append(change)
        size += bytes_
        if alone or size >= (FIRST_PART_BYTES if part == 0 else PART_BYTES):
            yield _request(pending, base_token, stream_id, part, more=True)
            part, size, pending = part + 1, 0, []
    request = _request(pending, base_token, stream_id, part, more=False)
    request.batch.defer_reload = defer_reload
    yield request


def _is_piece(change: pb.Change) -> bool:
    kind = change.WhichOneof("op")
    return kind == "append" or (kind == "whole" and change.whole.more)


def _size(change: pb.Change) -> int:
    # About the bytes *change* takes on the wire, for cutting parts. Not ByteSize(): that
    # costs as much as serialising, about 60 ms for a 50 MB file.
    kind = change.WhichOneof("op")
    if kind == "whole":
        return change.whole.size + 64  # the size before compression: bounds the frame
    if kind == "append":
        return change.append.size + 64
    if kind == "delta":
        return change.delta.literals_size + 12 * len(change.delta.ops) + 64
    return len(change.path) + 64


def _request(
    changes: list[pb.Change], base_token: str, stream_id: str, part: int, *, more: bool
) -> pb.Request:
    # Built in place: a message given to a constructor is copied, and copying a part of
    # megabytes twice (into the Batch, then the Request) costs more than encoding it.
    request = pb.Request()
    batch = request.batch
    batch.SetInParent()
    batch.base_token, batch.stream_id, batch.part, batch.more = base_token, stream_id, part, more
    batch.changes.extend(changes)
    return request
