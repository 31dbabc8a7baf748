"""Turn a plan into wire changes: whole files with zstd, copies, or deltas for big files.

Changes are produced lazily, so a streamed batch is encoded while earlier parts are
already being written on the target.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from velocity.core.errors import VelocityError
from velocity.livepatch import codec
from velocity.livepatch.agent._convert import delta_to_pb
from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.client._plan import Plan
from velocity.livepatch.client._scan import Tree
from velocity.livepatch.proto import pb

__all__ = ["DELTA_MIN", "Encoder", "signature_from_pb"]

DELTA_MIN = 64 * 1024  # below this a whole zstd file is as small and costs no round trip
Signatures = Callable[[list[pb.FileRef]], list[pb.FileSignature]]


class Encoder:
    """Encode *plan*; signatures of target files for deltas are fetched up front, in one call.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        plan: Plan,
        src: Path,
        remote: Tree,
        signatures: Signatures,
        unchanged: Callable[[str, os.stat_result], bool] | None = None,
    ) -> None:
        self.plan, self.src, self._unchanged = plan, src, unchanged
        self.counts = {"whole": 0, "delta": 0, "copy": 0, "link": 0, "chmod": 0, "delete": 0}
        wanted = [
            f
            for f in plan.puts
            if f.path not in plan.copies and f.size >= DELTA_MIN and _has_file(remote, f.path)
        ]
        refs = [pb.FileRef(path=f.path, sha256=remote[f.path].sha256) for f in wanted]
        self._sigs = {s.path: s for s in signatures(refs)} if refs else {}

    def changes(self, *, deletes: bool = True, others: bool = True) -> Iterator[pb.Change]:
        """Yield the changes (deletes, the rest, or both), encoding each when asked for."""
        if others:
            yield from self._puts()
            for info in self.plan.links:
                yield self._count("link", pb.Change(path=info.path, symlink=info.target))
            for info in self.plan.chmods:
                yield self._count("chmod", pb.Change(path=info.path, chmod=info.mode))
        if deletes:
            for path in self.plan.deletes:
                yield self._count("delete", pb.Change(path=path, delete=True))

    def _puts(self) -> Iterator[pb.Change]:
        for info in self.plan.puts:
            source = self.plan.copies.get(info.path)
            if source is not None:
                change = pb.Change(path=info.path, copy_from=source, sha256=info.sha256)
                change.mode = info.mode
                yield self._count("copy", change)
                continue
            try:
                content, st = _read(os.path.join(self.src, info.path))
            except OSError as exc:
                raise VelocityError(
                    f"{info.path}: changed while syncing ({exc.strerror}); run again"
                ) from None
            kind, change = _content_change(info.path, content, self._sigs.get(info.path))
            change.mode, change.sha256 = info.mode, self._hash_of(info, content, st)
            yield self._count(kind, change)

    def _hash_of(self, info: FileInfo, content: bytes, st: os.stat_result) -> bytes:
        # The hash of what is sent: unless the file is untouched since it was scanned
        # (same inode, size, mtime and ctime, from fstat of the fd read), it is hashed again.
        if self._unchanged is not None and self._unchanged(info.path, st):
            return info.sha256
        return hashlib.sha256(content).digest()

    def _count(self, kind: str, change: pb.Change) -> pb.Change:
        self.counts[kind] += 1
        return change


def _read(path: str) -> tuple[bytes, os.stat_result]:
    # os-level (pathlib's per-call overhead shows at 50,000 files); the fstat comes after
    # the read, so an unchanged stat vouches for the bytes read.
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)  # a short read of a regular file is its end
        if len(data) > size:  # it grew since the fstat
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
        return data, os.fstat(fd)
    finally:
        os.close(fd)


def _has_file(remote: Tree, path: str) -> bool:
    info = remote.get(path)
    return info is not None and not info.is_link and info.size > 0


def _content_change(
    path: str, content: bytes, sig: pb.FileSignature | None
) -> tuple[str, pb.Change]:
    if sig is not None and sig.block_size:
        delta = codec.make_delta(signature_from_pb(sig), content)
        literal = sum(len(op.data) for op in delta.ops if isinstance(op, codec.Literal))
        if literal < len(content) // 2:
            return "delta", pb.Change(path=path, delta=delta_to_pb(delta, sig.sha256))
    whole = pb.Whole(zstd=codec.compress(content), size=len(content))
    return "whole", pb.Change(path=path, whole=whole)


def signature_from_pb(sig: pb.FileSignature) -> codec.Signature:
    """Decode a wire signature.

    .. versionadded:: 0.1
    """
    strong = codec.STRONG_BYTES
    weak = np.frombuffer(sig.weak, dtype="<u4").astype(np.uint32)
    strongs = [sig.strong[i : i + strong] for i in range(0, len(sig.strong), strong)]
    if len(strongs) != len(weak):
        raise ValueError(f"signature of {sig.path!r} is inconsistent")
    return codec.Signature(sig.block_size, weak, strongs, sig.tail, sig.tail_size)
