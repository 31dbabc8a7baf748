"""The signature of a file just built from a delta, without hashing what was copied.

A block of the new file that lies inside a copy run, at the same phase as the old
blocks, is an old block: its checksums are the old ones. Only the rest is hashed,
so after an edit in place the cost follows the edit, not the file.
"""

from __future__ import annotations

from velocity.livepatch.codec._delta import Copy
from velocity.livepatch.codec._delta import Delta
from velocity.livepatch.codec._delta import Signature
from velocity.livepatch.codec._delta import block_size_for
from velocity.livepatch.codec._delta import signature
from velocity.livepatch.codec._delta import strong
from velocity.livepatch.codec._weak import weak_blocks

__all__ = ["derive_if_cheap", "derive_signature"]


def derive_signature(
    old: Signature, delta: Delta, new: bytes | memoryview, block_size: int | None = None
) -> Signature:
    """The signature of *new*, which *delta* built from the file behind *old*.

    Equal to ``signature(new, block_size)``; cheaper when most of *new* was copied.

    .. versionadded:: 0.2
    """
    size = block_size or block_size_for(len(new))
    derived = derive_if_cheap(old, delta, new, size)
    return signature(new, size) if derived is None else derived


def derive_if_cheap(
    old: Signature, delta: Delta, new: bytes | memoryview, block_size: int | None = None
) -> Signature | None:
    """:func:`derive_signature`, or None where most blocks would have to be hashed anew.

    .. versionadded:: 0.2
    """
    import numpy as np  # imported on use: see the codec's docstring

    size = block_size or block_size_for(len(new))
    if size != old.block_size or delta.block_size != size:
        return None
    full = len(new) // size
    source = _reused_blocks(old, delta, full)
    missing = [i for i, b in enumerate(source) if b < 0]
    if len(missing) * 2 > full:
        return None
    weak = np.empty(full, dtype=np.uint32)
    strongs: list[bytes] = [b""] * full
    known = [i for i, b in enumerate(source) if b >= 0]
    picks = [source[i] for i in known]
    weak[known] = old.weak[picks]
    for i, b in zip(known, picks, strict=True):
        strongs[i] = old.strong[b]
    view = memoryview(new)
    for i in missing:
        block = view[i * size : (i + 1) * size]
        weak[i] = weak_blocks(block, size)[0]
        strongs[i] = strong(block)
    rest = view[full * size :]
    return Signature(size, weak, strongs, strong(rest) if len(rest) else b"", len(rest))


def _reused_blocks(old: Signature, delta: Delta, full: int) -> list[int]:
    # For each full block of the new file, the old block it equals, or -1.
    size, at = old.block_size, 0
    source = [-1] * full
    for op in delta.ops:
        if isinstance(op, Copy):
            if at % size == 0 and op.block >= 0 and op.block + op.count <= len(old.strong):
                first = at // size
                for k in range(min(op.count, full - first)):
                    source[first + k] = op.block + k
            at += op.count * size
        else:
            at += len(op.data)
    return source
