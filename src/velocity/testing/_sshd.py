"""A real OpenSSH ``sshd`` on a free loopback port, with its own keys and config."""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Sequence
from pathlib import Path

from velocity.testing._binaries import require_binary
from velocity.testing._keys import generate_key
from velocity.testing._keys import public_key
from velocity.testing._ports import LOOPBACK
from velocity.testing._ports import probe
from velocity.testing._process import LoggedProcess
from velocity.testing._process import ManagedServer
from velocity.testing._process import ServerStartError
from velocity.testing._process import start_on_free_port

__all__ = ["SSHServer"]

# Debian's sshd, when started as root, refuses to run without its privilege-separation directory.
_PRIVSEP_DIR = Path("/run/sshd")
# OpenSSH >= 9.8 penalises failed and unauthenticated connections per source address, and
# every test connects from 127.0.0.1; older versions reject the option, so it is probed.
_PENALTIES_OFF = "PerSourcePenalties no"


class SSHServer(ManagedServer):
    """An ``sshd`` process of its own on ``127.0.0.1`` and a free port.

    Everything lives in *workdir*: an ed25519 host key, an ``sshd_config``, a client
    key pair (``client_key_path``) authorised in ``authorized_keys``, a ``known_hosts``
    file holding ``[127.0.0.1]:PORT`` and the host key, the pid file and the log.
    Only public-key authentication is enabled.

    The login user is the current OS user (:attr:`user`): no account is created.
    Run as root, sshd logs in as root (``PermitRootLogin prohibit-password``); run
    unprivileged, sshd can only log in as the user running it, which is that same user.

    :param workdir: a directory for this server alone; created if missing.
    :param startup_timeout: seconds to wait for the ``SSH-2.0`` banner.
    :param extra_config: more ``sshd_config`` lines, placed *before* the defaults so that
        they win (sshd keeps the first value it reads); no ``Match`` blocks.

    .. versionadded:: 0.1
    """

    host = LOOPBACK

    def __init__(
        self, workdir: Path, *, startup_timeout: float = 10.0, extra_config: Sequence[str] = ()
    ) -> None:
        self.workdir = Path(workdir).absolute()
        self.startup_timeout = startup_timeout
        self.extra_config = tuple(extra_config)
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.config_path = self.workdir / "sshd_config"
        self.host_key_path = self.workdir / "ssh_host_ed25519_key"
        self.client_key_path = self.workdir / "id_ed25519"
        self.authorized_keys_path = self.workdir / "authorized_keys"
        self.known_hosts_path = self.workdir / "known_hosts"
        self.pid_path = self.workdir / "sshd.pid"
        self.log_path = self.workdir / "sshd.log"
        self._port: int | None = None
        self._process: LoggedProcess | None = None
        self._penalties_option = [_PENALTIES_OFF]

    @property
    def root(self) -> Path:
        """The work directory (alias of :attr:`workdir`)."""
        return self.workdir

    @property
    def port(self) -> int:
        """The TCP port, fixed by the first :meth:`start`."""
        if self._port is None:
            raise RuntimeError("SSHServer has no port before its first start()")
        return self._port

    @property
    def running(self) -> bool:
        """Whether the listening sshd process is alive."""
        return self._process is not None and self._process.running

    @property
    def host_public_key(self) -> str:
        """The server's host key, ``"ssh-ed25519 AAAA..."``."""
        return public_key(self.host_key_path)

    @property
    def client_public_key(self) -> str:
        """The authorised client key, ``"ssh-ed25519 AAAA..."``."""
        return public_key(self.client_key_path)

    @property
    def known_hosts_entry(self) -> str:
        """The ``known_hosts`` line for this server: ``[127.0.0.1]:PORT ssh-ed25519 AAAA...``."""
        return f"[{self.host}]:{self.port} {self.host_public_key}"

    def start(self) -> None:
        """Generate missing keys, validate the config with ``sshd -t``, start, await the banner.

        :raises ServerStartError: if the config is invalid, or sshd exits or stays silent;
            the message carries sshd's own output.
        """
        if self.running:
            return
        sshd = require_binary("sshd", "openssh-server")
        self._prepare_files()

        def launch(port: int) -> LoggedProcess:
            self._write_valid_config(sshd, port)
            argv = [sshd, "-D", "-e", "-f", str(self.config_path)]
            return LoggedProcess(argv, self.log_path, cwd=self.workdir)

        self._process, self._port = start_on_free_port(
            launch,
            _sends_banner,
            listening=f"Server listening on {self.host} port",
            port=self._port,
            timeout=self.startup_timeout,
            what="sshd",
        )
        self.known_hosts_path.write_text(self.known_hosts_entry + "\n", encoding="utf-8")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the listener with SIGTERM, then SIGKILL after *timeout* seconds.

        Sessions already open keep their own processes until their clients disconnect.
        """
        if self._process is not None:
            self._process.stop(timeout)
            self._process = None

    def restart(self) -> None:
        """Stop (if running) and start again on the same port, with the same keys."""
        self.stop()
        self.start()

    def regenerate_host_key(self) -> str:
        """Restart on the same port with a new host key, and rewrite :attr:`known_hosts_path`.

        Clients that still trust the old key must now be refused; keep
        :attr:`known_hosts_entry` from before the call to build such a client.

        :returns: the new host public key.
        """
        self.stop()
        generate_key(self.host_key_path, "velocity-test-host")
        self.start()
        return self.host_public_key

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "-"
        return f"<SSHServer {self.user}@{self.host}:{port} running={self.running}>"

    def _prepare_files(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.host_key_path.exists():
            generate_key(self.host_key_path, "velocity-test-host")
        if not self.client_key_path.exists():
            generate_key(self.client_key_path, f"{self.user}@velocity-test")
        self.authorized_keys_path.write_text(self.client_public_key + "\n", encoding="utf-8")
        if os.geteuid() == 0 and not _PRIVSEP_DIR.is_dir():
            _PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)

    def _write_valid_config(self, sshd: str, port: int) -> None:
        self.config_path.write_text(self._config(port), encoding="utf-8")
        error = _validate(sshd, self.config_path)
        if error and self._penalties_option and "PerSourcePenalties" in error:
            self._penalties_option = []
            self.config_path.write_text(self._config(port), encoding="utf-8")
            error = _validate(sshd, self.config_path)
        if error:
            raise ServerStartError(f"sshd -t rejected {self.config_path}:\n{error}")

    def _config(self, port: int) -> str:
        lines = [
            *self.extra_config,
            f"ListenAddress {self.host}",
            f"Port {port}",
            f"HostKey {_quote(self.host_key_path)}",
            f"PidFile {_quote(self.pid_path)}",
            f"AuthorizedKeysFile {_quote(self.authorized_keys_path)}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "UsePAM no",
            "Subsystem sftp internal-sftp",
            "AcceptEnv none",
            "LogLevel VERBOSE",
            "PrintMotd no",
            *self._penalties_option,
        ]
        return "\n".join([*lines, ""])


def _validate(sshd: str, config: Path) -> str:
    # Empty when valid; otherwise sshd's own words, which name the file, line and option.
    result = subprocess.run(
        [sshd, "-t", "-f", str(config)], stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    output = (result.stdout + result.stderr).decode("utf-8", errors="replace").strip()
    return "" if result.returncode == 0 else output or f"exit status {result.returncode}"


def _quote(path: Path) -> str:
    # sshd_config splits values on whitespace unless they are double-quoted.
    return f'"{path}"'


def _sends_banner(port: int) -> bool:
    return probe(LOOPBACK, port).startswith(b"SSH-2.0-")
