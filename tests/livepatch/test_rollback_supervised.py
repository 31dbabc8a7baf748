"""Health checks and rollback: a real supervising agent, a real app, real carriers.

A patch the app does not survive (it exits, or its health URL fails) is undone: exactly
the files of that patch go back (replaced, created, deleted), the app's own files stay,
and the app runs again. ``livepatch rollback`` does the same on demand.
"""

from __future__ import annotations

import shutil

import pytest

from velocity.livepatch.cli import main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.client import rollback
from velocity.livepatch.client import stream_logs
from velocity.testing import free_port


@pytest.fixture
def tree(app_root, app_src):
    """A few more files on both sides: one the patch changes, one it deletes."""
    for base in (app_root, app_src):
        (base / "lib").mkdir()
        (base / "lib/keep.txt").write_text("keep\n")
        (base / "lib/doomed.txt").write_text("doomed\n")
        (base / "lib/doomed.txt").chmod(0o600)
    return app_root, app_src


def make_patch(src, message):
    (src / "msg.txt").write_text(f"{message}\n")
    (src / "lib/keep.txt").write_text("changed\n")
    (src / "lib/doomed.txt").unlink()
    (src / "new/deep").mkdir(parents=True)
    (src / "new/deep/created.txt").write_text("created\n")


def user_files(root, snapshot):
    # The agent's state and the app's own runtime file are not the patch's business.
    return {k: v for k, v in snapshot(root).items() if k != "runtime.txt"}


def test_crash_after_reload_restores_exactly_the_patch(supervise, tree, tmp_path, snapshot, alive):
    root, src = tree
    agent = supervise("--reload", "signal:HUP", "--grace", "2")
    target = parse_target(f"local://{root}")
    with Syncer(src, target, state_dir=tmp_path / "state") as syncer:
        syncer.sync()  # the first sync sends only .livepatchignore
        before = user_files(root, snapshot)
        make_patch(src, "crash")
        result = syncer.sync()
    assert result.reload is not None
    assert not result.reload.ok
    assert "exited with 3" in result.reload.detail
    assert result.rollback is not None
    assert result.rollback.rolled_back
    assert sorted(result.rollback.paths) == [
        "lib/doomed.txt",
        "lib/keep.txt",
        "msg.txt",
        "new/deep/created.txt",
    ]
    assert user_files(root, snapshot) == before  # incl. doomed.txt's mode, no new/ left
    # The app is back, on the restored files, and wrote its own file after the rollback.
    assert result.rollback.reload is not None
    assert result.rollback.reload.ok
    new_pid = int(result.rollback.reload.detail.split()[-1])
    assert new_pid != agent.first_pid
    assert alive(new_pid)
    assert (root / "runtime.txt").read_text() == f"{new_pid} saw one\n"
    kinds = [e.kind for e in stream_logs(target.url, follow=False) if e.stream == "event"]
    assert kinds[-6:] == ["applied", "exited", "reloaded", "rolled_back", "started", "reloaded"]


def test_the_next_sync_after_a_rollback_sends_the_patch_again(supervise, tree, tmp_path):
    root, src = tree
    supervise("--reload", "restart", "--grace", "1")
    target = parse_target(f"local://{root}")
    with Syncer(src, target, state_dir=tmp_path / "state") as syncer:
        make_patch(src, "crash")
        assert syncer.sync().rollback is not None
        (src / "msg.txt").write_text("fixed\n")
        fixed = syncer.sync()
    assert fixed.rollback is None
    assert fixed.reload is not None
    assert fixed.reload.ok
    assert (root / "new/deep/created.txt").read_text() == "created\n"
    assert (root / "msg.txt").read_text() == "fixed\n"


def test_failing_health_url_rolls_back_over_grpc(supervise, tree, tmp_path, pki, snapshot):
    root, src = tree
    port = free_port()
    agent = supervise(
        *("--reload", "signal:HUP", "--grace", "1.5"),
        *("--health-url", f"http://127.0.0.1:{port}/health"),
        *("--listen", "127.0.0.1:0", "--tls-dir", str(pki / "agents/box")),
        app_args=[str(port)],
    )
    options = ConnectOptions(tls_dir=str(pki))
    target = parse_target(f"agent://{agent.address}")
    with Syncer(src, target, options, tmp_path / "state") as syncer:
        syncer.sync()
        (src / "msg.txt").write_text("healthy\n")
        healthy = syncer.sync()
        assert healthy.reload is not None
        assert healthy.reload.ok, healthy.reload
        before = user_files(root, snapshot)
        make_patch(src, "sick")
        (src / "health.txt").write_text("bad\n")
        sick = syncer.sync()
    assert sick.reload is not None
    assert not sick.reload.ok
    assert "did not answer 2xx within 1.5 s (HTTP 500)" in sick.reload.detail
    assert sick.rollback is not None
    assert sick.rollback.rolled_back
    assert "health.txt" in sick.rollback.paths
    assert user_files(root, snapshot) == before  # health.txt, a new file, is gone again
    assert sick.rollback.reload is not None
    assert sick.rollback.reload.ok  # healthy again on the old files


@pytest.mark.parametrize("carrier", ["local", "agent"])
def test_rollback_on_demand(carrier, supervise, tree, tmp_path, pki, snapshot, capsys):
    root, src = tree
    grpc_options = ("--listen", "127.0.0.1:0", "--tls-dir", str(pki / "agents/box"))
    agent = supervise("--reload", "signal:HUP", "--grace", "0.2", *grpc_options)
    url = f"local://{root}" if carrier == "local" else f"agent://{agent.address}"
    options = ConnectOptions(tls_dir=str(pki))
    with Syncer(src, parse_target(url), options, tmp_path / "state") as syncer:
        syncer.sync()
        before = user_files(root, snapshot)
        make_patch(src, "two")
        assert syncer.sync().rollback is None
    assert (root / "msg.txt").read_text() == "two\n"
    seen = len(agent.lines)
    cli = ["rollback", url, "--tls-dir", str(pki)]
    assert main(cli) == 0
    out = capsys.readouterr().out
    assert f"{url}: rolled back 4 changes in " in out
    assert f"reloaded: signal:HUP (pid {agent.first_pid})" in out
    assert user_files(root, snapshot) == before
    agent.wait_for(rf"pid {agent.first_pid} msg: one", after=seen)  # reloaded on old files
    # Only once: a second rollback must not re-apply the patch.
    assert main(cli) == 1
    assert "rolled back already" in capsys.readouterr().err
    assert user_files(root, snapshot) == before


def test_rollback_without_supervisor_restores_files_only(tree, tmp_path, snapshot, capsys):
    root, src = tree
    url = f"local://{root}"
    with Syncer(src, parse_target(url), state_dir=tmp_path / "state") as syncer:
        syncer.sync()
        before = user_files(root, snapshot)
        make_patch(src, "two")
        syncer.sync()
    assert main(["rollback", url]) == 0
    out = capsys.readouterr().out
    assert "rolled back 4 changes" in out
    assert "reload: none (no supervisor)" in out
    assert user_files(root, snapshot) == before


def test_nothing_to_roll_back(app_root, capsys):
    result = rollback(f"local://{app_root}")
    assert not result.rolled_back
    assert result.reason == "no batch has been applied yet"
    assert main(["rollback", f"local://{app_root}", "--json"]) == 1
    assert '"rolled_back": false' in capsys.readouterr().out


def test_rollback_undoes_only_the_last_batch(tree, tmp_path):
    # The undo record is for the tree the patch produced; a later batch makes it stale.
    root, src = tree
    url = f"local://{root}"
    with Syncer(src, parse_target(url), state_dir=tmp_path / "state") as syncer:
        make_patch(src, "two")
        syncer.sync()
    other = tmp_path / "other"
    shutil.copytree(src, other)
    (other / "msg.txt").write_text("from elsewhere\n")
    with Syncer(other, parse_target(url), state_dir=tmp_path / "state2") as syncer:
        syncer.sync()
    result = rollback(url)
    assert result.rolled_back  # undoes the *last* batch: the one from elsewhere
    assert (root / "msg.txt").read_text() == "two\n"
    assert not rollback(url).rolled_back
