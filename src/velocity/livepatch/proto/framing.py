"""Length-prefixed protobuf frames, for carriers that are plain byte streams (stdio, SSH).

A frame is a 4-byte big-endian length followed by that many bytes of one message.
"""

from __future__ import annotations

import struct
from typing import IO
from typing import TypeVar

from google.protobuf.message import Message

__all__ = ["MAX_FRAME", "FrameError", "read_frame", "write_frame"]

MAX_FRAME = 1 << 30
_HEADER = struct.Struct(">I")
M = TypeVar("M", bound=Message)


class FrameError(ValueError):
    """A stream that is cut short or announces an oversized frame.

    .. versionadded:: 0.1
    """


def write_frame(stream: IO[bytes], message: Message) -> int:
    """Write *message* as one frame and flush; returns the bytes written.

    .. versionadded:: 0.1
    """
    data = message.SerializeToString()
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()
    return _HEADER.size + len(data)


def read_frame(stream: IO[bytes], into: M) -> M | None:
    """Read one frame into the empty message *into*; ``None`` at a clean end of stream.

    .. versionadded:: 0.1
    """
    header = _read_exactly(stream, _HEADER.size, allow_eof=True)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME:
        raise FrameError(f"frame of {size} bytes exceeds the {MAX_FRAME} limit")
    into.ParseFromString(_read_exactly(stream, size, allow_eof=False) or b"")
    return into


def _read_exactly(stream: IO[bytes], size: int, *, allow_eof: bool) -> bytes | None:
    chunks, missing = [], size
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            if allow_eof and missing == size:
                return None
            raise FrameError(f"stream ended {missing} bytes short of a frame")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
