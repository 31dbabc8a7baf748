"""ed25519 key pairs made with ``ssh-keygen``, the same tool a user would run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from velocity.testing._binaries import require_binary

__all__ = ["generate_key", "public_key"]


def generate_key(path: Path, comment: str) -> Path:
    """Write a new unencrypted ed25519 key pair to *path* and ``path.pub``, replacing any old one.

    :param path: where the private key goes (mode 0600); the public key gets ``.pub`` appended.
    :param comment: the comment stored in the public key.
    :returns: *path*.

    .. versionadded:: 0.1
    """
    keygen = require_binary("ssh-keygen", "openssh-client")
    pub = path.with_name(path.name + ".pub")
    # ssh-keygen asks before overwriting, and there is no terminal to answer it.
    path.unlink(missing_ok=True)
    pub.unlink(missing_ok=True)
    subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    return path


# "ssh-ed25519 AAAA...": the comment is dropped so the value compares and embeds cleanly.
def public_key(path: Path) -> str:
    fields = path.with_name(path.name + ".pub").read_text(encoding="utf-8").split()
    return f"{fields[0]} {fields[1]}"
