"""Find the server binaries, or say which package installs them."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SERVER_BINARIES", "MissingBinaryError", "check_binaries", "require_binary"]

#: Binaries the servers in :mod:`velocity.testing` run, and the Debian package of each.
SERVER_BINARIES: Mapping[str, str] = {
    "redis-server": "redis-server",
    "sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "chromium": "chromium",
}

# sbin is often missing from a non-root PATH, yet that is where Debian puts sshd.
_SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")


class MissingBinaryError(RuntimeError):
    """A binary a test server needs is not installed; the message names the package.

    .. versionadded:: 0.1
    """


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found is not None:
        return str(Path(found).absolute())
    for directory in _SBIN_DIRS:
        candidate = shutil.which(name, path=directory)
        if candidate is not None:
            return candidate
    return None


def require_binary(name: str, package: str) -> str:
    """Return the absolute path of the executable *name*.

    :param name: the executable, looked up on ``PATH`` and then in the sbin directories.
    :param package: the apt package that installs it, named in the error.
    :raises MissingBinaryError: if it is not found. Nothing is skipped in this project,
        so a missing binary is an error that says what to install.

    .. versionadded:: 0.1
    """
    found = _find(name)
    if found is None:
        raise MissingBinaryError(
            f"{name} not found on PATH or in {', '.join(_SBIN_DIRS)}: "
            f"install {package} (apt-get install {package})"
        )
    return found


def check_binaries(binaries: Mapping[str, str] = SERVER_BINARIES) -> None:
    """Check that every binary is installed, reporting all missing ones at once.

    :param binaries: executable name -> apt package that installs it.
    :raises MissingBinaryError: naming every missing binary and one ``apt-get`` line.

    .. versionadded:: 0.1
    """
    missing = {name: package for name, package in binaries.items() if _find(name) is None}
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        raise MissingBinaryError(
            f"missing {', '.join(missing)}: install {packages} (apt-get install {packages})"
        )
