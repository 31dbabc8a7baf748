"""rsync-style deltas: block signatures of the old file, copy/literal ops for the new one.

The sender first tries the block that follows the last match (edits rarely move
the rest of a file), then the old block boundaries ahead (an edit in place moves
nothing), then searches a growing window of offsets with vectorised weak
checksums, confirming each candidate with the strong hash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from xxhash import xxh3_64_digest

from velocity.livepatch.codec._weak import weak_at
from velocity.livepatch.codec._weak import weak_blocks

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from velocity.livepatch.codec._weak import U32

__all__ = [
    "Copy",
    "Delta",
    "Literal",
    "Signature",
    "apply_delta",
    "block_size_for",
    "make_delta",
    "signature",
]

STRONG_BYTES = 8
_MIN_BLOCK = 512
_MAX_BLOCK = 1 << 17
_SCREEN_BITS = 1 << 20
_ALIGNED_MIN, _ALIGNED_BYTES = 16, 1 << 20  # how far ahead old block boundaries are tried


def block_size_for(size: int) -> int:
    """rsync's choice: about the square root of the file size, a multiple of 8.

    .. versionadded:: 0.1
    """
    return min(_MAX_BLOCK, max(_MIN_BLOCK, (math.isqrt(size) + 7) // 8 * 8))


def strong(block: bytes | memoryview) -> bytes:
    # XXH3-64, as rsync >= 3.2 uses for its block checksums: 7x SHA-256 with SHA-NI. A block
    # needs no cryptographic hash: the whole file is checked with SHA-256 once it is built.
    return xxh3_64_digest(block)


@dataclass(frozen=True)
class Signature:
    """Checksums of the full blocks of a file, and of its short tail.

    .. versionadded:: 0.1
    """

    block_size: int
    weak: U32
    strong: list[bytes]
    tail: bytes = b""  # strong hash of the last, short block; empty if none
    tail_size: int = 0
    _index: dict[bytes, int] = field(default_factory=dict, repr=False, compare=False)

    def find(self, digest: bytes) -> int | None:
        if not self._index:
            # First block wins for duplicates, so runs of equal blocks still coalesce.
            for i in range(len(self.strong) - 1, -1, -1):
                self._index[self.strong[i]] = i
        return self._index.get(digest)


@dataclass(frozen=True)
class Copy:
    """Copy *count* blocks of the old file starting at block *block*."""

    block: int
    count: int = 1


@dataclass(frozen=True)
class Literal:
    """Bytes that are new."""

    data: bytes


@dataclass(frozen=True)
class Delta:
    """How to build the new file from the old one.

    .. versionadded:: 0.1
    """

    block_size: int
    ops: list[Copy | Literal]
    copy_tail: bool = False  # end with the old file's short tail block


def signature(data: bytes | memoryview, block_size: int | None = None) -> Signature:
    """The block signature of *data* (computed where the old file lives).

    .. versionadded:: 0.1
    """
    size = block_size or block_size_for(len(data))
    full = len(data) // size
    view = memoryview(data)
    weak = weak_blocks(data, size)
    strongs = [strong(view[i * size : (i + 1) * size]) for i in range(full)]
    rest = view[full * size :]
    tail = strong(rest) if len(rest) else b""
    return Signature(size, weak, strongs, tail, len(rest))


def make_delta(sig: Signature, new: bytes) -> Delta:
    """The ops that turn the file behind *sig* into *new*.

    .. versionadded:: 0.1
    """
    return _Matcher(sig, new).run()


def apply_delta(old: bytes, delta: Delta) -> bytes:
    """Build the new file from *old* and *delta*.

    :raises ValueError: a copy refers past the end of *old*.

    .. versionadded:: 0.1
    """
    size, view = delta.block_size, memoryview(old)
    # Slices of *old* go to join as views: each byte is copied once, into the result.
    out: list[bytes | memoryview] = []
    for op in delta.ops:
        if isinstance(op, Literal):
            out.append(op.data)
            continue
        lo, hi = op.block * size, (op.block + op.count) * size
        if op.count < 1 or hi > len(old) - len(old) % size:
            raise ValueError(f"copy of blocks {op.block}+{op.count} is outside the old file")
        out.append(view[lo:hi])
    if delta.copy_tail:
        out.append(view[len(old) - len(old) % size :])
    return b"".join(out)


class _Matcher:
    def __init__(self, sig: Signature, new: bytes) -> None:
        import numpy as np  # imported on use: see the codec's docstring

        self.sig, self.new, self.view = sig, new, memoryview(new)
        self.size = sig.block_size
        self.ops: list[Copy | Literal] = []
        self.literal_from = 0
        self.weak_sorted = np.unique(sig.weak)
        # A bitmap of the weak sums' low bits screens every offset with one gather;
        # only its hits are looked up exactly.
        self.screen = np.zeros(_SCREEN_BITS, dtype=np.bool_)
        self.screen[self.weak_sorted & (_SCREEN_BITS - 1)] = True

    def run(self) -> Delta:
        pos, expect, n = 0, 0, len(self.new)
        while pos + self.size <= n:
            run = self._run_length(pos, expect)
            if run:
                self._copy(pos, expect, run)
                pos, expect = pos + run * self.size, expect + run
                continue
            found = self._aligned(pos, expect) or self._search(pos)
            if found is None:
                break
            pos, block = found
            self._copy(pos, block)
            pos, expect = pos + self.size, block + 1
        tail = self._tail_matches(pos)
        self._flush(n - self.sig.tail_size if tail else n)
        return Delta(self.size, self.ops, copy_tail=tail)

    def _run_length(self, pos: int, block: int) -> int:
        # The common case, unchanged data after a match, in a tight loop: how many blocks
        # from *pos* equal the old file's blocks from *block* on.
        size, view, strongs, n = self.size, self.view, self.sig.strong, len(self.new)
        count = 0
        while block + count < len(strongs) and pos + size <= n:
            if xxh3_64_digest(view[pos : pos + size]) != strongs[block + count]:
                break
            count += 1
            pos += size
        return count

    def _aligned(self, pos: int, block: int) -> tuple[int, int] | None:
        # An edit in place leaves what follows it where it was: the old block boundaries
        # ahead are tried first, a hash each, before any rolling search.
        size, view, strongs, n = self.size, self.view, self.sig.strong, len(self.new)
        for k in range(1, max(_ALIGNED_MIN, _ALIGNED_BYTES // size) + 1):
            at = pos + k * size
            if block + k >= len(strongs) or at + size > n:
                break
            if xxh3_64_digest(view[at : at + size]) == strongs[block + k]:
                return at, block + k
        return None

    def _search(self, pos: int) -> tuple[int, int] | None:
        # Look ahead in windows that double, so a local edit costs a local search.
        import numpy as np  # imported on use: see the codec's docstring

        last = len(self.new) - self.size + 1
        width = 4 * self.size
        while pos < last:
            stop = min(last, pos + width)
            weaks = weak_at(self.new, pos, stop, self.size)
            hits = np.flatnonzero(self._known(weaks))
            for hit in hits.tolist():
                block = self.sig.find(strong(self.view[pos + hit : pos + hit + self.size]))
                if block is not None and self.sig.weak[block] == weaks[hit]:
                    return pos + hit, block
            pos, width = stop, width * 2
        return None

    def _known(self, weaks: U32) -> npt.NDArray[np.bool_]:
        # searchsorted against the signature's sorted weak sums: no re-sort per window.
        import numpy as np  # imported on use: see the codec's docstring

        table = self.weak_sorted
        found: npt.NDArray[np.bool_] = self.screen[weaks & (_SCREEN_BITS - 1)]
        hits = np.flatnonzero(found)
        if len(hits):
            idx = np.minimum(np.searchsorted(table, weaks[hits]), len(table) - 1)
            found[hits] = table[idx] == weaks[hits]
        return found

    def _tail_matches(self, pos: int) -> bool:
        n, t = len(self.new), self.sig.tail_size
        return t > 0 and n - t >= pos and strong(self.view[n - t :]) == self.sig.tail

    def _copy(self, pos: int, block: int, count: int = 1) -> None:
        self._flush(pos)
        last = self.ops[-1] if self.ops else None
        if isinstance(last, Copy) and last.block + last.count == block:
            self.ops[-1] = Copy(last.block, last.count + count)
        else:
            self.ops.append(Copy(block, count))
        self.literal_from = pos + count * self.size

    def _flush(self, upto: int) -> None:
        if upto > self.literal_from:
            self.ops.append(Literal(bytes(self.view[self.literal_from : upto])))
        self.literal_from = max(self.literal_from, upto)
