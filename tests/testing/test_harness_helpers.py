from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from velocity.testing import SERVER_BINARIES
from velocity.testing import MissingBinaryError
from velocity.testing import ServerStartError
from velocity.testing import check_binaries
from velocity.testing import free_port
from velocity.testing import require_binary
from velocity.testing._ports import probe
from velocity.testing._process import LoggedProcess


def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_require_binary_finds_the_server_binaries() -> None:
    for name, package in SERVER_BINARIES.items():
        assert Path(require_binary(name, package)).is_absolute()
    check_binaries()


def test_sbin_binaries_are_found_without_sbin_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert require_binary("sshd", "openssh-server").endswith("/sshd")


def test_missing_binary_names_the_package_to_install() -> None:
    with pytest.raises(MissingBinaryError, match=r"install no-such-pkg \(apt-get install no-such"):
        require_binary("no-such-binary-velocity", "no-such-pkg")


def test_check_binaries_reports_every_missing_one() -> None:
    wanted = {"no-such-a-velocity": "pkg-b", "sshd": "openssh-server", "no-such-c": "pkg-a"}
    with pytest.raises(MissingBinaryError) as excinfo:
        check_binaries(wanted)
    assert str(excinfo.value) == (
        "missing no-such-a-velocity, no-such-c: install pkg-a pkg-b (apt-get install pkg-a pkg-b)"
    )


def test_probe_returns_nothing_when_nobody_listens() -> None:
    assert probe("127.0.0.1", free_port()) == b""


def test_a_process_that_never_gets_ready_is_killed_with_its_log(tmp_path: Path) -> None:
    script = "print('starting up', flush=True); import time; time.sleep(60)"
    process = LoggedProcess([sys.executable, "-c", script], tmp_path / "log", cwd=tmp_path)
    # Wait for the output first: under load the interpreter may take longer than the timeout.
    deadline = time.monotonic() + 30
    while "starting up" not in process.log_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(ServerStartError, match=r"(?s)sleeper was not ready within 0.3 s.*starting"):
        process.wait_ready(lambda: False, 0.3, "sleeper")
    assert not process.running
    assert process.proc.returncode == -9
