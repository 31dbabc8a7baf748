"""TARGET URLs and the registry of carriers that reach them.

``local:///path``, ``ssh://user@host:port/path``, ``agent://host:port`` and
``docker://container/path``; :data:`TRANSPORTS` maps each scheme to a factory.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote
from urllib.parse import urlsplit

from velocity.core.errors import UsageError
from velocity.livepatch.client._channel import Channel
from velocity.livepatch.client._channel import StdioChannel

__all__ = [
    "TRANSPORTS",
    "ConnectOptions",
    "Target",
    "connect",
    "docker_argv",
    "parse_target",
    "plugin_transports",
]


@dataclass(frozen=True)
class Target:
    """A parsed TARGET URL.

    .. versionadded:: 0.1
    """

    url: str
    scheme: str
    host: str = ""
    port: int | None = None
    user: str = ""
    path: str = ""


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach a target beyond what its URL says.

    :param agent_command: how to start the agent on the far side (ssh, docker).
    :param known_hosts: SSH known_hosts file (default: the user's own).
    :param identity: SSH private key file.
    :param tls_dir: client certificates for ``agent://`` (ca.crt, client.crt, client.key).

    .. versionadded:: 0.1
    """

    agent_command: str = "livepatch-agent"
    known_hosts: str | None = None
    identity: str | None = None
    tls_dir: str = ".velocity/livepatch/certs"
    timeout: float = 10.0


def parse_target(url: str) -> Target:
    """Parse and check a TARGET URL.

    :raises UsageError: unknown scheme, or a part the scheme needs is missing.

    .. versionadded:: 0.1
    """
    parts = urlsplit(url)
    scheme, path = parts.scheme, unquote(parts.path)
    if scheme not in TRANSPORTS and scheme not in plugin_transports():
        known = ", ".join(f"{s}://" for s in sorted({*TRANSPORTS, *plugin_transports()}))
        raise UsageError(f"unknown target {url!r}; use one of {known}")
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"bad port in {url!r}") from None
    host = parts.hostname or ""
    if scheme == "local" and (parts.netloc or not path.startswith("/")):
        raise UsageError(f"write a local target as local:///absolute/path, not {url!r}")
    if scheme in ("ssh", "docker") and not (host and path.strip("/")):
        raise UsageError(f"{scheme} target {url!r} needs a host and a path")
    if scheme == "agent" and not (host and port):
        raise UsageError(f"agent target {url!r} needs host:port")
    return Target(url, scheme, host, port, unquote(parts.username or ""), path)


def _local(target: Target, options: ConnectOptions) -> Channel:
    argv = [sys.executable, "-m", "velocity.livepatch.agent", "stdio", "--root", target.path]
    return StdioChannel(argv, target.url)


def docker_argv(target: Target, options: ConnectOptions) -> list[str]:
    """``docker exec -i CONTAINER AGENT stdio --root PATH``.

    .. versionadded:: 0.1
    """
    agent = shlex.split(options.agent_command)
    return ["docker", "exec", "-i", target.host, *agent, "stdio", "--root", target.path]


def _docker(target: Target, options: ConnectOptions) -> Channel:
    return StdioChannel(docker_argv(target, options), target.url)


def _ssh(target: Target, options: ConnectOptions) -> Channel:
    from velocity.livepatch.client._ssh import SSHChannel

    return SSHChannel(target, options)


def _agent(target: Target, options: ConnectOptions) -> Channel:
    from velocity.livepatch.client._grpc import GrpcChannel

    return GrpcChannel(target, options)


Factory = Callable[[Target, ConnectOptions], Channel]
TRANSPORTS: dict[str, Factory] = {
    "local": _local,
    "ssh": _ssh,
    "agent": _agent,
    "docker": _docker,
}


def connect(target: Target, options: ConnectOptions) -> Channel:
    """Open a channel to *target* with the carrier its scheme names.

    .. versionadded:: 0.1
    """
    factory = TRANSPORTS.get(target.scheme) or plugin_transports()[target.scheme]
    return factory(target, options)


def plugin_transports() -> dict[str, Factory]:
    """Schemes plugins add through ``livepatch_transports`` (built-in ones win).

    .. versionadded:: 0.2
    """
    from velocity.livepatch.plugins import get_plugin_manager
    from velocity.livepatch.plugins import merged

    found = merged(get_plugin_manager().hook.livepatch_transports())
    return {k: v for k, v in found.items() if k not in TRANSPORTS}
