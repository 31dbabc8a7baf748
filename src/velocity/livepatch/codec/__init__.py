"""How file contents travel: whole with zstd, or as rsync-style deltas.

Shared by the agent and the client; it needs numpy and zstandard, nothing else. numpy
is imported where it is used, not here: the agent needs it only to compute signatures,
and importing it doubled the agent's start-up, which every connection waits for.
"""

from __future__ import annotations

from velocity.livepatch.codec._delta import STRONG_BYTES
from velocity.livepatch.codec._delta import Copy
from velocity.livepatch.codec._delta import Delta
from velocity.livepatch.codec._delta import Literal
from velocity.livepatch.codec._delta import Signature
from velocity.livepatch.codec._delta import apply_delta
from velocity.livepatch.codec._delta import block_size_for
from velocity.livepatch.codec._delta import make_delta
from velocity.livepatch.codec._delta import signature
from velocity.livepatch.codec._derive import derive_if_cheap
from velocity.livepatch.codec._derive import derive_signature
from velocity.livepatch.codec._whole import compress
from velocity.livepatch.codec._whole import decompress

__all__ = [
    "STRONG_BYTES",
    "Copy",
    "Delta",
    "Literal",
    "Signature",
    "apply_delta",
    "block_size_for",
    "compress",
    "decompress",
    "derive_if_cheap",
    "derive_signature",
    "make_delta",
    "signature",
]
