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


def needs_deletes_first(plan: Plan) -> bool:
    # A path that turns from a directory into a file (or back) needs its deletes applied
    # in a batch of their own; otherwise everything goes in one atomic batch.
    deleted = set(plan.deletes)
    written = {f.path for f in (*plan.puts, *plan.links, *plan.chmods)}
    prefixes = {p.rsplit("/", k)[0] for p in deleted | written for k in range(1, p.count("/") + 1)}
    return bool(prefixes & deleted or prefixes & written)


def parts(changes: Iterator[pb.Change], base_token: str, stream_id: str) -> Iterator[pb.Request]:
    part, size = 0, 0
    pending: list[pb.Change] = []
    for change in changes:
        pending.append(change)
        size += change.ByteSize()
        if size >= PART_BYTES:
            batch = pb.Batch(base_token=base_token, changes=pending, more=True)
            batch.stream_id, batch.part = stream_id, part
            yield pb.Request(batch=batch)
            part, size, pending = part + 1, 0, []
    batch = pb.Batch(base_token=base_token, changes=pending, stream_id=stream_id, part=part)
    yield pb.Request(batch=batch)
