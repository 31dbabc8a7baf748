"""``livepatch watch`` with real watchdog observers on temp trees, into real agents."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from velocity.livepatch.cli import main
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._sync import SyncResult
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import parse_target
from velocity.livepatch.watch import Watcher
from velocity.livepatch.watch import WatchLimitError
from velocity.livepatch.watch import _limits

AGENT = f"{sys.executable} -m velocity.livepatch.agent"


def files(top: Path) -> dict[str, bytes]:
    """Regular files below *top*, .git and the agent's state left out."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".livepatch-agent")]
        for name in filenames:
            path = Path(dirpath, name)
            try:
                found[path.relative_to(top).as_posix()] = path.read_bytes()
            except FileNotFoundError:
                found[path.relative_to(top).as_posix()] = b"<vanished>"  # caught mid-apply
    return found


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@contextmanager
def watching(src: Path, url: str, state: Path, options=None) -> Iterator[list[SyncResult]]:
    results: list[SyncResult] = []
    with (
        Syncer(src, parse_target(url), options or ConnectOptions(), state) as syncer,
        Watcher(syncer, results.append) as watcher,
    ):
        watcher.start()
        thread = threading.Thread(target=watcher.run)
        thread.start()
        try:
            yield results
        finally:
            watcher.stop()
            thread.join(10)
            assert not thread.is_alive()


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "pkg").mkdir(parents=True)
    dst.mkdir()
    for i in range(10):
        (src / f"pkg/m{i}.py").write_text(f"value = {i}\n")
    return src, dst


def settle(results: list[SyncResult], src: Path, dst: Path) -> None:
    wait_until(lambda: files(dst) == files(src))
    time.sleep(0.3)  # late events would show up as extra batches


def test_atomic_save_is_one_batch(tree, tmp_path):
    src, dst = tree
    with watching(src, f"local://{dst}", tmp_path / "state") as results:
        settle(results, src, dst)
        before = len(results)
        tmp = src / "pkg/.m3.py.swp"
        tmp.write_text("value = 'saved'\n")
        os.replace(tmp, src / "pkg/m3.py")
        wait_until(lambda: (dst / "pkg/m3.py").read_text() == "value = 'saved'\n")
        settle(results, src, dst)
    assert len(results) - before == 1
    assert results[-1].counts == {"whole": 1}
    assert not (dst / "pkg/.m3.py.swp").exists()


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_branch_switch_of_300_files_lands_in_few_batches(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    dst.mkdir()
    (src / "app").mkdir(parents=True)
    git(src, "init", "-q", "-b", "main")
    for i in range(300):
        (src / f"app/f{i:03}.py").write_text(f"x = {i}\n")
    git(src, "add", "-A")
    git(src, "commit", "-qm", "main")
    git(src, "checkout", "-qb", "feature")
    for i in range(300):
        (src / f"app/f{i:03}.py").write_text(f"x = {i} * 2  # feature\n")
    (src / "app/new").mkdir()
    (src / "app/new/only_here.py").write_text("new = True\n")
    git(src, "add", "-A")
    git(src, "commit", "-qm", "feature")
    git(src, "checkout", "-q", "main")
    with watching(src, f"local://{dst}", tmp_path / "state") as results:
        settle(results, src, dst)
        before = len(results)
        git(src, "checkout", "-q", "feature")
        settle(results, src, dst)
        switch = results[before:]
        git(src, "checkout", "-q", "main")
        settle(results, src, dst)
    assert 1 <= len(switch) <= 4, [r.counts for r in switch]
    assert sum(r.changed for r in switch) == 301
    assert files(dst) == files(src)
    assert "app/new/only_here.py" not in files(dst)


def test_delete_and_renames(tree, tmp_path):
    src, dst = tree
    with watching(src, f"local://{dst}", tmp_path / "state") as results:
        settle(results, src, dst)
        (src / "pkg/m0.py").unlink()
        (src / "pkg/m1.py").rename(src / "pkg/renamed.py")
        (src / "pkg").rename(src / "lib")
        settle(results, src, dst)
    assert sorted(files(dst)) == [f"lib/m{i}.py" for i in range(2, 10)] + ["lib/renamed.py"]
    assert not (dst / "pkg").exists() or not any((dst / "pkg").iterdir())


def test_ignored_files_are_not_sent(tree, tmp_path):
    src, dst = tree
    (src / ".gitignore").write_text("*.log\nbuild/\n")
    with watching(src, f"local://{dst}", tmp_path / "state") as results:
        wait_until(lambda: len(results) == 1)  # the initial sync
        before = len(results)
        (src / "debug.log").write_text("noise\n")
        (src / "build").mkdir()
        (src / "build/out.bin").write_bytes(b"\0" * 100)
        (src / "pkg/m2.py").write_text("value = 'kept'\n")
        wait_until(lambda: (dst / "pkg/m2.py").read_text() == "value = 'kept'\n")
        time.sleep(0.3)
    assert not (dst / "debug.log").exists()
    assert not (dst / "build").exists()
    assert sum(r.changed for r in results[before:]) == 1


def test_nested_gitignore_holds_for_sync_and_watch(tree, tmp_path):
    src, dst = tree
    (src / "pkg/.gitignore").write_text("*.tmp\ncache/\n")
    (src / "pkg/cache").mkdir()
    (src / "pkg/cache/blob").write_text("cached\n")
    (src / "pkg/scratch.tmp").write_text("scratch\n")
    (src / "top.tmp").write_text("only ignored below pkg/\n")
    with watching(src, f"local://{dst}", tmp_path / "state") as results:
        wait_until(lambda: len(results) == 1)  # the initial sync
        assert (dst / "pkg/.gitignore").exists()
        assert (dst / "top.tmp").exists()
        before = len(results)
        (src / "pkg/again.tmp").write_text("still ignored\n")
        (src / "pkg/cache/more").write_text("ignored too\n")
        (src / "pkg/m1.py").write_text("value = 'sent'\n")
        wait_until(lambda: (dst / "pkg/m1.py").read_text() == "value = 'sent'\n")
        time.sleep(0.3)
    assert not (dst / "pkg/scratch.tmp").exists()
    assert not (dst / "pkg/again.tmp").exists()
    assert not (dst / "pkg/cache").exists()
    assert sum(r.changed for r in results[before:]) == 1


def test_watch_over_ssh_into_the_real_agent(sshd, tree, tmp_path):
    src, dst = tree
    options = ConnectOptions(
        agent_command=AGENT,
        known_hosts=str(sshd.known_hosts_path),
        identity=str(sshd.client_key_path),
    )
    url = f"ssh://{sshd.user}@{sshd.host}:{sshd.port}{dst}"
    with watching(src, url, tmp_path / "state", options) as results:
        settle(results, src, dst)
        (src / "pkg/m5.py").write_text("value = 'over ssh'\n")
        settle(results, src, dst)
    assert results[-1].counts == {"whole": 1}


def test_watch_limit_is_checked_before_watching(tree, tmp_path, monkeypatch, capsys):
    src, dst = tree
    monkeypatch.setattr(_limits, "read_watch_limit", lambda: 1)
    argv = ["watch", str(src), f"local://{dst}", "--state-dir", str(tmp_path / "state")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "sysctl fs.inotify.max_user_watches=" in err
    assert "Traceback" not in err


def test_enospc_from_the_observer_says_the_same(tree, tmp_path, monkeypatch):
    src, dst = tree

    def full(self):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr("velocity.livepatch.watch._watcher.Observer.start", full)
    with Syncer(src, parse_target(f"local://{dst}"), ConnectOptions(), tmp_path / "s") as syncer:
        watcher = Watcher(syncer)
        with pytest.raises(WatchLimitError, match=r"sysctl fs\.inotify\.max_user_watches="):
            watcher.start()


def test_other_inotify_failures_are_one_line_too(tree, tmp_path, monkeypatch, capsys):
    src, dst = tree

    def exhausted(self):
        raise OSError(errno.EMFILE, "inotify instance limit reached")

    monkeypatch.setattr("velocity.livepatch.watch._watcher.Observer.start", exhausted)
    argv = ["watch", str(src), f"local://{dst}", "--state-dir", str(tmp_path / "state")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "fs.inotify.max_user_instances" in err
    assert err.count("\n") == 1


def test_cli_prints_a_line_per_batch_and_stops_on_ctrl_c(tree, tmp_path):
    src, dst = tree
    argv = [
        sys.executable,
        "-c",
        "import sys; from velocity.livepatch.cli import main; sys.exit(main())",
    ]
    argv += ["watch", str(src), f"local://{dst}", "--state-dir", str(tmp_path / "state")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("applied 10 files, ")
        (src / "pkg/m7.py").write_text("value = 'cli'\n")
        second = proc.stdout.readline()
        assert second.startswith("applied 1 file, ")
        assert second.rstrip().endswith(" ms")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert files(dst) == files(src)
