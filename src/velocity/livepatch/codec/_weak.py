"""rsync's weak checksum, computed for many windows at once with numpy.

For a window x[k:k+L]: ``a = sum(x) mod 2**16``, ``b = sum((L - i) * x[k+i]) mod 2**16``
and ``weak = a | b << 16``. Both sums come from prefix sums, so every window
start in a segment costs a few vector operations instead of a Python loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    U32 = npt.NDArray[np.uint32]

__all__ = ["weak_at", "weak_blocks", "weak_one"]  # and U32, for type checkers only

_CHUNK = 1 << 20  # bytes per numpy pass, so big files never need big temporaries


def weak_one(block: bytes) -> int:
    """The weak checksum of one window (the reference the vector code must match)."""
    n = len(block)
    a = sum(block)
    b = sum((n - i) * x for i, x in enumerate(block))
    return (a & 0xFFFF) | ((b & 0xFFFF) << 16)


def weak_at(data: bytes | memoryview, start: int, stop: int, length: int) -> U32:
    """Weak checksums of the windows ``data[k:k+length]`` for ``start <= k < stop``.

    Windows must lie inside *data* (``stop - 1 + length <= len(data)``).
    """
    import numpy as np  # imported on use: see the codec's docstring

    parts = []
    for lo in range(start, stop, _CHUNK):
        hi = min(stop, lo + _CHUNK)
        parts.append(_weak_segment(data, lo, hi, length))
    if not parts:
        return np.zeros(0, dtype=np.uint32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _weak_segment(data: bytes | memoryview, lo: int, hi: int, length: int) -> U32:
    import numpy as np  # imported on use: see the codec's docstring

    x = np.frombuffer(data, dtype=np.uint8, count=hi - lo + length - 1, offset=lo)
    x64 = x.astype(np.uint64)
    idx = np.arange(x64.size, dtype=np.uint64)
    s1 = np.zeros(x64.size + 1, dtype=np.uint64)
    np.cumsum(x64, out=s1[1:])
    s2 = np.zeros(x64.size + 1, dtype=np.uint64)
    np.cumsum(x64 * idx, out=s2[1:])
    k = np.arange(hi - lo, dtype=np.uint64)
    a = s1[length:] - s1[:-length]
    # sum (L - j) x[k+j] = L*a - sum j x[k+j] = L*a - (s2 window - k*a); uint64 wraps mod 2**64,
    # which keeps every result exact mod 2**16.
    b = np.uint64(length) * a - (s2[length:] - s2[:-length] - k * a)
    return ((a & 0xFFFF) | ((b & 0xFFFF) << np.uint64(16))).astype(np.uint32)


def weak_blocks(data: bytes | memoryview, length: int) -> U32:
    """Weak checksums of the aligned full blocks ``data[i*length:(i+1)*length]``."""
    import numpy as np  # imported on use: see the codec's docstring

    count = len(data) // length
    # Only the sums mod 2**16 matter, so uint16 arithmetic, which wraps, is exact: with
    # s = the running sums of a block, a = s[-1] and b = sum((L - i) * x[i]) = sum(s).
    step = max(1, _CHUNK // length)
    out = np.empty(count, dtype=np.uint32)
    for first in range(0, count, step):
        m = min(step, count - first)
        x = np.frombuffer(data, np.uint8, m * length, first * length).reshape(m, length)
        s = np.cumsum(x, axis=1, dtype=np.uint16)
        b = s.sum(axis=1, dtype=np.uint16).astype(np.uint32)
        out[first : first + m] = s[:, -1].astype(np.uint32) | (b << 16)
    return out
