"""Test harness shipped with Velocity: real servers on free loopback ports."""

from __future__ import annotations

from velocity.testing._binaries import SERVER_BINARIES
from velocity.testing._binaries import MissingBinaryError
from velocity.testing._binaries import check_binaries
from velocity.testing._binaries import require_binary
from velocity.testing._keys import generate_key
from velocity.testing._ports import free_port
from velocity.testing._process import ServerStartError
from velocity.testing._redis import RedisServer
from velocity.testing._sshd import SSHServer

__all__ = [
    "SERVER_BINARIES",
    "MissingBinaryError",
    "RedisServer",
    "SSHServer",
    "ServerStartError",
    "check_binaries",
    "free_port",
    "generate_key",
    "require_binary",
]
