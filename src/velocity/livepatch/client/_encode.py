"""Turn a plan into wire changes: whole files with zstd, copies, or deltas for big files.

Changes are produced lazily, so a streamed batch is encoded while earlier parts are
already being written on the target.
"""

from __future__ import annotations

import collections
import hashlib
import os
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path

from velocity.core.errors import VelocityError
from velocity.livepatch import codec
from velocity.livepatch.agent._convert import delta_to_pb
from velocity.livepatch.agent._convert import signature_from_pb
from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.client._plan import Plan
from velocity.livepatch.client._scan import RecentReads
from velocity.livepatch.client._scan import Tree
from velocity.livepatch.client._scan import read_whole
from velocity.livepatch.client._scan import stat_key
from velocity.livepatch.proto import pb

__all__ = ["DELTA_MIN", "LATE_SIZE", "PIECE_BYTES", "Encoder", "signature_from_pb"]

DELTA_MIN = 64 * 1024  # below this a whole zstd file is as small and costs no round trip
LATE_SIZE = 1 << 20  # files this big are sent after the others
PIECE_BYTES = 4 << 20  # bigger files go in pieces of this size, each in a part of its own
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
        recent: RecentReads | None = None,
        puts: Iterable[FileInfo] | None = None,
    ) -> None:
        self.plan, self.src, self._unchanged, self._recent = plan, src, unchanged, recent
        # The files to send, in order, when they are produced as they are found (a walk
        # for an empty target): then plan.puts is not read here.
        self._stream = puts
        self.counts = {"whole": 0, "delta": 0, "copy": 0, "link": 0, "chmod": 0, "delete": 0}
        wanted = [
            f
            for f in plan.puts
            if f.path not in plan.copies and f.size >= DELTA_MIN and _has_file(remote, f.path)
        ]
        self._sigs: dict[str, tuple[bytes, codec.Signature]] = {}
        refs = []
        for f in wanted:
            basis = remote[f.path].sha256
            known = _KNOWN.get(basis)
            if known is None:
                refs.append(pb.FileRef(path=f.path, sha256=basis))
            else:
                self._sigs[f.path] = basis, known
        for sig in signatures(refs) if refs else []:
            if sig.block_size:
                self._sigs[sig.path] = sig.sha256, signature_from_pb(sig)

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
        # Small files first: the target starts creating them (the slow part of a big
        # sync) while the big ones are still being read, compressed and sent.
        ordered = self._stream
        if ordered is None:
            ordered = sorted(self.plan.puts, key=lambda f: f.size >= LATE_SIZE)
        for info in ordered:
            source = self.plan.copies.get(info.path)
            if source is not None:
                change = pb.Change(path=info.path, copy_from=source, sha256=info.sha256)
                change.mode = info.mode
                yield self._count("copy", change)
                continue
            try:
                content, st = self._read(info.path)
            except OSError as exc:
                raise VelocityError(
                    f"{info.path}: changed while syncing ({exc.strerror}); run again"
                ) from None
            digest = self._hash_of(info, content, st)
            kind, change = _content_change(info.path, content, digest, self._sigs.get(info.path))
            change.mode, change.sha256 = info.mode, digest
            yield self._count(kind, change)
            if kind == "whole" and change.whole.more:
                yield from _pieces(info.path, content)

    def _read(self, path: str) -> tuple[bytes, os.stat_result]:
        full = os.path.join(self.src, path)
        read = self._recent.take(path) if self._recent is not None else None
        if read is not None:
            st = os.lstat(full)  # a file gone or edited since the scan is read again
            if stat_key(st) == stat_key(read[1]):
                return read[0], st
        return read_whole(full)

    def _hash_of(self, info: FileInfo, content: bytes, st: os.stat_result) -> bytes:
        # The hash of what is sent: unless the file is untouched since it was scanned
        # (same inode, size, mtime and ctime, from fstat of the fd read), it is hashed again.
        if self._unchanged is not None and self._unchanged(info.path, st):
            return info.sha256
        return hashlib.sha256(content).digest()

    def _count(self, kind: str, change: pb.Change) -> pb.Change:
        self.counts[kind] += 1
        return change


def _has_file(remote: Tree, path: str) -> bool:
    info = remote.get(path)
    return info is not None and not info.is_link and info.size > 0


def _content_change(
    path: str, content: bytes, digest: bytes, basis: tuple[bytes, codec.Signature] | None
) -> tuple[str, pb.Change]:
    if basis is not None:
        delta = codec.make_delta(basis[1], content)
        literal = sum(len(op.data) for op in delta.ops if isinstance(op, codec.Literal))
        if literal < len(content) // 2:
            # The next edit's delta then needs no signature from the target (unless this
            # one moved most blocks: then asking the target costs less than hashing here).
            derived = codec.derive_if_cheap(basis[1], delta, content)
            if derived is not None:
                _KNOWN.put(digest, derived)
            return "delta", pb.Change(path=path, delta=delta_to_pb(delta, basis[0]))
    # Filled in place: a sub-message given to a constructor is copied, slowly when big.
    change = pb.Change(path=path)
    with memoryview(content) as view:
        first = view[:PIECE_BYTES]
        change.whole.zstd, change.whole.size = codec.compress(first), len(first)
    change.whole.more = len(content) > PIECE_BYTES
    return "whole", change


def _pieces(path: str, content: bytes) -> Iterator[pb.Change]:
    # The rest of a big file after its first piece: each is compressed, sent and written
    # on the target while the next is being compressed.
    with memoryview(content) as view:
        for at in range(PIECE_BYTES, len(content), PIECE_BYTES):
            piece = view[at : at + PIECE_BYTES]
            change = pb.Change(path=path)
            change.append.zstd, change.append.size = codec.compress(piece), len(piece)
            change.append.more = at + PIECE_BYTES < len(content)
            yield change


class _Signatures:
    # Signatures by content hash, of files this process sent as deltas. A signature is a
    # function of the content alone, and a stale basis fails the agent's hash check.

    def __init__(self, keep: int) -> None:
        self._keep, self._by_hash = keep, collections.OrderedDict[bytes, codec.Signature]()

    def get(self, sha256: bytes) -> codec.Signature | None:
        sig = self._by_hash.get(sha256)
        if sig is not None:
            self._by_hash.move_to_end(sha256)
        return sig

    def put(self, sha256: bytes, sig: codec.Signature) -> None:
        self._by_hash[sha256] = sig
        self._by_hash.move_to_end(sha256)
        while len(self._by_hash) > self._keep:
            self._by_hash.popitem(last=False)


_KNOWN = _Signatures(keep=64)
