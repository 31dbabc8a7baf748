"""The SSH carrier: paramiko runs ``livepatch-agent stdio`` on the host and frames flow over it.

The host key must already be known (RejectPolicy): an unknown or changed key is refused.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from typing import IO
from typing import Any
from typing import cast

import paramiko

from velocity.livepatch.client._channel import FramedChannel
from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import Target

__all__ = ["SSHChannel", "remote_command"]


def remote_command(target: Target, options: ConnectOptions) -> str:
    """The shell command run on the SSH host.

    .. versionadded:: 0.1
    """
    return f"{options.agent_command} stdio --root {shlex.quote(target.path)}"


class SSHChannel(FramedChannel):
    """A stdio agent over one SSH exec channel.

    .. versionadded:: 0.1
    """

    def __init__(self, target: Target, options: ConnectOptions) -> None:
        self.client = _connect(target, options)
        try:
            stdin, stdout, self._stderr = self.client.exec_command(remote_command(target, options))
            self._stdin = stdin
        except paramiko.SSHException as exc:
            self.client.close()
            raise TransportError(f"{target.url}: cannot start the agent: {exc}") from None
        super().__init__(cast(IO[bytes], stdin), cast(IO[bytes], stdout), target.url)

    def detail(self) -> str:
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""

    def close(self) -> None:
        # EOF on the agent's stdin first, so it exits on its own (aborting nothing).
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            self._stdin.channel.shutdown_write()
            self._stdin.channel.status_event.wait(10)
        super().close()
        self.client.close()


def _transport(sock: Any, /, **kwargs: Any) -> paramiko.Transport:
    # AES-GCM first where the server offers it: one pass both encrypts and authenticates,
    # where CTR needs a separate HMAC of every packet (in this process, per 32 KB).
    transport = paramiko.Transport(sock, disabled_algorithms=kwargs.get("disabled_algorithms"))
    security = transport.get_security_options()
    gcm = tuple(c for c in security.ciphers if "gcm" in c)
    security.ciphers = (*gcm, *(c for c in security.ciphers if c not in gcm))
    return transport


def _connect(target: Target, options: ConnectOptions) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    known = options.known_hosts or os.path.expanduser("~/.ssh/known_hosts")
    try:
        client.load_host_keys(known)
    except OSError as exc:
        raise TransportError(f"{target.url}: cannot read known_hosts {known!r}: {exc}") from None
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            target.host,
            port=target.port or 22,
            username=target.user or None,
            key_filename=options.identity,
            timeout=options.timeout,
            allow_agent=options.identity is None,
            look_for_keys=options.identity is None,
            transport_factory=_transport,
        )
    except paramiko.BadHostKeyException:
        client.close()
        raise TransportError(
            f"{target.url}: the host key CHANGED since it was recorded in {known}; refusing"
        ) from None
    except paramiko.SSHException as exc:
        client.close()
        raise TransportError(f"{target.url}: {exc} (is the host key in {known}?)") from None
    except OSError as exc:
        client.close()
        raise TransportError(f"{target.url}: cannot connect: {exc}") from None
    return client
