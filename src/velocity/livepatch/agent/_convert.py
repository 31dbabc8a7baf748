"""Wire changes to engine operations (and deltas both ways), checking every size and hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Iterable

from velocity.livepatch import codec
from velocity.livepatch.agent._ops import Chmod
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._ops import Delete
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._ops import Patch
from velocity.livepatch.agent._ops import Put
from velocity.livepatch.agent._ops import Symlink
from velocity.livepatch.proto import pb

__all__ = [
    "MAX_FILE",
    "delta_from_pb",
    "delta_to_pb",
    "signature_from_pb",
    "signature_to_pb",
    "to_ops",
]

MAX_FILE = 1 << 31
Reader = Callable[[str], bytes]


def to_ops(changes: Iterable[pb.Change], read: Reader) -> list[Op]:
    """Decode *changes* (no appends: see ``BatchReceiver``); *read* fetches a file's
    current content (for deltas and copies)."""
    return [_to_op(change, read) for change in changes]


def _to_op(change: pb.Change, read: Reader) -> Op:
    kind, path = change.WhichOneof("op"), change.path
    if kind == "symlink":
        return Symlink(path, change.symlink)
    if kind == "delete":
        return Delete(path)
    if kind == "chmod":
        return Chmod(path, change.chmod)
    if kind == "whole":
        content = codec.decompress(change.whole.zstd, min(change.whole.size, MAX_FILE))
    elif kind == "delta":
        # Built and hashed while staging: a wrong basis cannot produce the content's hash.
        try:
            delta = delta_from_pb(change.delta)
        except ValueError:
            raise ConflictError(f"{path!r}: the delta is malformed") from None
        return Patch(path, delta, change.sha256, change.mode or 0o644)
    elif kind == "copy_from":
        content = read(change.copy_from)
    else:
        raise ValueError(f"change of {path!r} has no operation")
    # A file in pieces is checked once its last piece is in (see _receiver).
    piecewise = kind == "whole" and change.whole.more
    if change.sha256 and not piecewise and hashlib.sha256(content).digest() != change.sha256:
        raise ValueError(f"content of {path!r} does not match its hash")
    return Put(path, content, change.mode or 0o644)


def delta_to_pb(delta: codec.Delta, basis_sha256: bytes) -> pb.DeltaData:
    """The wire form of *delta*: ops plus all literal bytes in one zstd frame."""
    ops, literals = [], []
    for op in delta.ops:
        if isinstance(op, codec.Copy):
            ops.append(pb.DeltaOp(copy_block=op.block, copy_count=op.count))
        else:
            ops.append(pb.DeltaOp(literal_size=len(op.data)))
            literals.append(op.data)
    joined = b"".join(literals)
    return pb.DeltaData(
        basis_sha256=basis_sha256,
        block_size=delta.block_size,
        ops=ops,
        literals_zstd=codec.compress(joined),
        literals_size=len(joined),
        copy_tail=delta.copy_tail,
    )


def delta_from_pb(data: pb.DeltaData) -> codec.Delta:
    """Decode a wire delta; malformed input raises ValueError."""
    if data.block_size < 1:
        raise ValueError("delta without a block size")
    literals = codec.decompress(data.literals_zstd, min(data.literals_size, MAX_FILE))
    ops: list[codec.Copy | codec.Literal] = []
    at = 0
    for op in data.ops:
        if op.copy_count:
            ops.append(codec.Copy(op.copy_block, op.copy_count))
        elif op.literal_size:
            if at + op.literal_size > len(literals):
                raise ValueError("delta literal runs past its data")
            ops.append(codec.Literal(literals[at : at + op.literal_size]))
            at += op.literal_size
    return codec.Delta(data.block_size, ops, copy_tail=data.copy_tail)


def signature_to_pb(sha256: bytes, sig: codec.Signature) -> pb.FileSignature:
    """The wire form of the signature of the file whose content hash is *sha256*."""
    return pb.FileSignature(
        sha256=sha256,
        block_size=sig.block_size,
        weak=sig.weak.astype("<u4").tobytes(),
        strong=b"".join(sig.strong),
        tail=sig.tail,
        tail_size=sig.tail_size,
    )


def signature_from_pb(sig: pb.FileSignature) -> codec.Signature:
    """Decode a wire signature; an inconsistent one raises ValueError."""
    import numpy as np  # imported on use, as in the codec: it slows the agent's start

    strong = codec.STRONG_BYTES
    weak = np.frombuffer(sig.weak, dtype="<u4").astype(np.uint32)
    strongs = [sig.strong[i : i + strong] for i in range(0, len(sig.strong), strong)]
    if len(strongs) != len(weak):
        raise ValueError(f"signature of {sig.path!r} is inconsistent")
    return codec.Signature(sig.block_size, weak, strongs, sig.tail, sig.tail_size)
