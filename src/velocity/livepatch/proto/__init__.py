"""The LivePatch wire protocol: generated protobuf messages (see livepatch.proto)."""

from __future__ import annotations

from velocity.livepatch.proto import livepatch_pb2 as pb

__all__ = ["PROTOCOL_VERSION", "pb"]

# 2: block checksums are XXH3-64 (were truncated SHA-256). 3: big files go in pieces.
PROTOCOL_VERSION = 3
