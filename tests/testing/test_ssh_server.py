from __future__ import annotations

import os
import pwd
import socket
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from velocity.testing import ServerStartError
from velocity.testing import SSHServer
from velocity.testing import _process
from velocity.testing import free_port
from velocity.testing import generate_key


def connect(
    server: SSHServer, *, known_hosts: Path | None = None, key: Path | None = None
) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts or server.known_hosts_path))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            server.host,
            port=server.port,
            username=server.user,
            key_filename=str(key or server.client_key_path),
            allow_agent=False,
            look_for_keys=False,
            timeout=10,
        )
    except BaseException:
        client.close()
        raise
    return client


@pytest.fixture
def ssh(sshd: SSHServer) -> Iterator[paramiko.SSHClient]:
    client = connect(sshd)
    yield client
    client.close()


def run(client: paramiko.SSHClient, command: str) -> tuple[int, str, str]:
    _, stdout, stderr = client.exec_command(command, timeout=10)
    status = stdout.channel.recv_exit_status()
    return status, stdout.read().decode(), stderr.read().decode()


def test_files_and_known_hosts_line(sshd: SSHServer) -> None:
    assert sshd.user == pwd.getpwuid(os.getuid()).pw_name
    assert sshd.host_public_key.startswith("ssh-ed25519 ")
    assert sshd.known_hosts_path.read_text() == (
        f"[127.0.0.1]:{sshd.port} {sshd.host_public_key}\n"
    )
    assert sshd.authorized_keys_path.read_text() == sshd.client_public_key + "\n"
    assert sshd.root == sshd.workdir
    assert f"{sshd.user}@127.0.0.1:{sshd.port} running=True" in repr(sshd)


def test_exec_runs_a_real_command(ssh: paramiko.SSHClient, sshd: SSHServer) -> None:
    assert run(ssh, "echo hello") == (0, "hello\n", "")
    assert run(ssh, "id -un; echo oops >&2; exit 3") == (3, f"{sshd.user}\n", "oops\n")


def test_sftp_writes_and_reads_a_file(ssh: paramiko.SSHClient, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "note.txt"
    with ssh.open_sftp() as sftp:
        sftp.mkdir(str(target.parent))
        with sftp.open(str(target), "w") as remote:
            remote.write(b"written over sftp\n")
        with sftp.open(str(target), "r") as remote:
            assert remote.read() == b"written over sftp\n"
        assert sftp.listdir(str(target.parent)) == ["note.txt"]
    assert target.read_bytes() == b"written over sftp\n"


def test_a_different_host_key_is_refused(sshd: SSHServer, tmp_path: Path) -> None:
    other = generate_key(tmp_path / "other_host_key", "impostor")
    fields = other.with_name("other_host_key.pub").read_text().split()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {fields[0]} {fields[1]}\n")
    with pytest.raises(paramiko.BadHostKeyException):
        connect(sshd, known_hosts=known_hosts)


def test_an_unknown_host_is_refused(sshd: SSHServer, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        connect(sshd, known_hosts=empty)


def test_an_unauthorized_key_is_refused(sshd: SSHServer, tmp_path: Path) -> None:
    stranger = generate_key(tmp_path / "id_stranger", "stranger")
    with pytest.raises(paramiko.AuthenticationException):
        connect(sshd, key=stranger)
    # A refused client does not lock the real one out.
    connect(sshd).close()


def test_regenerated_host_key_refuses_old_trust(tmp_path: Path) -> None:
    with SSHServer(tmp_path / "server") as server:
        port, old_entry, old_key = server.port, server.known_hosts_entry, server.host_public_key
        new_key = server.regenerate_host_key()
        assert (server.port, server.running) == (port, True)
        assert new_key != old_key
        stale = tmp_path / "stale_known_hosts"
        stale.write_text(old_entry + "\n")
        with pytest.raises(paramiko.BadHostKeyException):
            connect(server, known_hosts=stale)
        client = connect(server)
        assert run(client, "echo ok") == (0, "ok\n", "")
        client.close()


def test_restart_keeps_port_and_keys(tmp_path: Path) -> None:
    with SSHServer(tmp_path) as server:
        port, host_key = server.port, server.host_public_key
        server.restart()
        assert (server.port, server.host_public_key) == (port, host_key)
        connect(server).close()
    assert not server.running
    assert "Received signal 15" in server.log_path.read_text()


def test_port_taken_before_bind_is_retried_on_a_new_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(_process, "free_port", lambda: next(ports))
        with SSHServer(tmp_path / "with space") as server:
            assert server.port != taken
            assert f"[127.0.0.1]:{server.port} " in server.known_hosts_path.read_text()
            connect(server).close()
    assert f"Bind to port {taken} on 127.0.0.1 failed" in server.log_path.read_text()


def test_invalid_config_is_reported_by_sshd_t(tmp_path: Path) -> None:
    server = SSHServer(tmp_path, extra_config=["NoSuchOption yes"])
    with pytest.raises(ServerStartError, match=r"(?s)sshd -t rejected.*NoSuchOption"):
        server.start()
    assert not server.running
    with pytest.raises(RuntimeError, match="first start"):
        server.port  # noqa: B018
