"""End to end through a real ``livepatch-agent stdio`` process (local:// target)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from velocity.core.errors import VelocityError
from velocity.livepatch.cli import main
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import parse_target
from velocity.livepatch.proto import PROTOCOL_VERSION


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    (path / "pkg").mkdir(parents=True)
    (path / "pkg/app.py").write_text("print('v1')\n")
    (path / "README").write_text("readme\n")
    (path / "run.sh").write_text("#!/bin/sh\n")
    (path / "run.sh").chmod(0o755)
    return path


@pytest.fixture
def dst(tmp_path: Path) -> Path:
    path = tmp_path / "dst"
    path.mkdir()
    return path


@pytest.fixture
def syncer(src, dst, tmp_path):
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state") as s:
        yield s


def test_initial_sync_then_nothing(syncer, src, dst, snapshot):
    first = syncer.sync()
    assert first.manifest_exchanged
    assert first.counts == {"whole": 3}
    assert snapshot(dst) == snapshot(src)
    again = syncer.sync()
    assert again.changed == 0
    assert not again.manifest_exchanged
    assert again.bytes_sent == 0


def test_one_file_edit_sends_about_the_file(syncer, src, dst, snapshot):
    syncer.sync()
    (src / "pkg/app.py").write_text("print('v2')\n")
    result = syncer.sync()
    assert result.counts == {"whole": 1}
    assert result.bytes_sent < 200
    assert (dst / "pkg/app.py").read_text() == "print('v2')\n"
    assert snapshot(dst) == snapshot(src)


def test_delete_rename_mode_symlink(syncer, src, dst, snapshot):
    syncer.sync()
    (src / "README").rename(src / "pkg/README.md")
    (src / "run.sh").chmod(0o700)
    (src / "link").symlink_to("pkg/app.py")
    (src / "pkg/app.py").unlink()
    (src / "pkg/app.py").write_text("print('v2')\n")
    result = syncer.sync()
    assert result.counts == {"copy": 1, "delete": 1, "chmod": 1, "link": 1, "whole": 1}
    assert snapshot(dst) == snapshot(src)


def test_big_file_goes_as_a_delta(syncer, src, dst):
    blob = bytearray(os.urandom(2_000_000))
    (src / "data.bin").write_bytes(blob)
    syncer.sync()
    blob[1_000_000:1_000_100] = b"x" * 100
    (src / "data.bin").write_bytes(blob)
    result = syncer.sync()
    assert result.counts == {"delta": 1}
    assert result.bytes_sent < 30_000
    assert (dst / "data.bin").read_bytes() == blob


def test_target_changed_behind_our_back_triggers_a_manifest(src, dst, tmp_path, snapshot):
    url = parse_target(f"local://{dst}")
    with Syncer(src, url, state_dir=tmp_path / "state") as first:
        first.sync()
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "other") as second:
        (src / "README").write_text("changed by someone else\n")
        second.sync()
    (src / "README").write_text("readme\n")
    with Syncer(src, url, state_dir=tmp_path / "state") as again:
        result = again.sync()
    assert result.manifest_exchanged
    assert result.counts == {"whole": 1}
    assert snapshot(dst) == snapshot(src)


def test_remembered_tree_is_used_without_a_manifest(src, dst, tmp_path):
    url = parse_target(f"local://{dst}")
    with Syncer(src, url, state_dir=tmp_path / "state") as first:
        first.sync()
    (src / "README").write_text("new\n")
    with Syncer(src, url, state_dir=tmp_path / "state") as second:
        result = second.sync()
    assert not result.manifest_exchanged
    assert result.counts == {"whole": 1}


def test_directory_becomes_a_file_and_back(syncer, src, dst, snapshot):
    syncer.sync()
    (src / "pkg/app.py").unlink()
    (src / "pkg").rmdir()
    (src / "pkg").write_text("now a file\n")
    syncer.sync()
    assert snapshot(dst) == snapshot(src)
    (src / "pkg").unlink()
    (src / "pkg").mkdir()
    (src / "pkg/x").write_text("x")
    syncer.sync()
    assert snapshot(dst) == snapshot(src)


def test_ignored_files_are_not_sent_and_not_deleted(syncer, src, dst):
    (src / ".livepatchignore").write_text("*.pyc\n")
    (src / "mod.pyc").write_bytes(b"compiled")
    (dst / "remote.pyc").write_bytes(b"made in the container")
    syncer.sync()
    assert not (dst / "mod.pyc").exists()
    assert (dst / "remote.pyc").exists()


def test_cli_sync_and_status(src, dst, tmp_path, capsys):
    state = str(tmp_path / "state")
    url = f"local://{dst}"
    assert main(["sync", str(src), url, "--state-dir", state, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] == 3
    assert main(["status", url, "--state-dir", state, "--src", str(src), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["in_sync_with_last_push"] is True
    assert status["pending_changes"] == 0
    (src / "README").write_text("pending\n")
    assert main(["status", url, "--state-dir", state, "--src", str(src)]) == 0
    assert "pending changes: 1" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, src, capsys):
    assert main(["sync", str(src), "ftp://nowhere/x"]) == 2
    assert "unknown target" in capsys.readouterr().err
    missing = tmp_path / "missing"
    assert main(["sync", str(src), f"local://{missing}", "--state-dir", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "livepatch: error:" in err


def test_state_and_ca_stay_out_of_git_status(src, dst, tmp_path, monkeypatch):
    # Otherwise `dep-ci affected` would see .velocity/livepatch as an unplaced change.
    import subprocess

    from velocity.livepatch.certs import init_ca

    subprocess.run(["git", "init", "-q", str(src)], check=True)
    monkeypatch.chdir(src)
    assert main(["sync", ".", f"local://{dst}"]) == 0
    init_ca(src / ".velocity/livepatch/certs")
    assert (src / ".velocity/livepatch").is_dir()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=src,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".velocity" not in status
    assert "?? pkg/app.py" in status


def test_an_agent_of_another_protocol_is_refused_in_one_line(
    src, dst, tmp_path, monkeypatch, snapshot
):
    monkeypatch.setattr("velocity.livepatch.client._sync.PROTOCOL_VERSION", 99)
    with pytest.raises(VelocityError) as caught:
        Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state")
    message = str(caught.value)
    assert f"the agent speaks protocol {PROTOCOL_VERSION}, this livepatch 99" in message
    assert "\n" not in message
    assert snapshot(dst) == {}  # nothing was sent
