"""ssh:// through a real sshd (the session fixture) and paramiko."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from velocity.livepatch.client._channel import TransportError
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import parse_target

AGENT = f"{sys.executable} -m velocity.livepatch.agent"


def options(sshd, known_hosts=None) -> ConnectOptions:
    return ConnectOptions(
        agent_command=AGENT,
        known_hosts=str(known_hosts or sshd.known_hosts_path),
        identity=str(sshd.client_key_path),
    )


def url(sshd, dst: Path) -> str:
    return f"ssh://{sshd.user}@{sshd.host}:{sshd.port}{dst}"


@pytest.fixture
def tree(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "pkg").mkdir(parents=True)
    dst.mkdir()
    for i in range(20):
        (src / f"pkg/m{i}.py").write_text(f"value = {i}\n")
    return src, dst


def test_sync_over_ssh(sshd, tree, tmp_path, snapshot):
    src, dst = tree
    target = parse_target(url(sshd, dst))
    with Syncer(src, target, options(sshd), tmp_path / "state") as syncer:
        assert syncer.sync().counts == {"whole": 20}
        (src / "pkg/m3.py").write_text("value = 'edited'\n")
        edit = syncer.sync()
    assert edit.counts == {"whole": 1}
    assert edit.bytes_sent < 200
    assert snapshot(dst) == snapshot(src)


def test_unknown_host_key_is_refused(sshd, tree, tmp_path):
    src, dst = tree
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(TransportError, match="not found in known_hosts"):
        Syncer(src, parse_target(url(sshd, dst)), options(sshd, empty), tmp_path / "state")
    assert list(dst.iterdir()) == []


def test_changed_host_key_is_refused(sshd, tree, tmp_path):
    src, dst = tree
    old = tmp_path / "old_known_hosts"
    old.write_text(sshd.known_hosts_entry + "\n")
    sshd.regenerate_host_key()
    with pytest.raises(TransportError, match="CHANGED"):
        Syncer(src, parse_target(url(sshd, dst)), options(sshd, old), tmp_path / "state")
    assert list(dst.iterdir()) == []
    # With the new key recorded, the same target works again.
    with Syncer(src, parse_target(url(sshd, dst)), options(sshd), tmp_path / "state") as syncer:
        assert syncer.sync().changed == 20
