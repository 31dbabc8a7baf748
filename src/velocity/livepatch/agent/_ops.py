"""The operations a batch is made of, independent of any wire format."""

from __future__ import annotations

from dataclasses import dataclass

from velocity.livepatch import codec

__all__ = ["Chmod", "ConflictError", "Delete", "Op", "Patch", "Put", "Symlink"]


@dataclass(frozen=True)
class Put:
    """Create or replace the regular file *path* with *content*.

    .. versionadded:: 0.1
    """

    path: str
    content: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Patch:
    """Rebuild the regular file *path* from its current content and *delta*; the result
    must hash to *sha256*, or the batch fails with :class:`ConflictError`.

    .. versionadded:: 0.2
    """

    path: str
    delta: codec.Delta
    sha256: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Symlink:
    """Create or replace *path* with a symlink to *target* (which must stay in the root).

    .. versionadded:: 0.1
    """

    path: str
    target: str


@dataclass(frozen=True)
class Delete:
    """Remove the file or symlink *path*; a missing path is not an error.

    .. versionadded:: 0.1
    """

    path: str


@dataclass(frozen=True)
class Chmod:
    """Change the permission bits of the regular file *path*.

    .. versionadded:: 0.1
    """

    path: str
    mode: int


Op = Put | Patch | Symlink | Delete | Chmod


class ConflictError(Exception):
    """The target is not in the state the client planned against; plan again.

    .. versionadded:: 0.1
    """
