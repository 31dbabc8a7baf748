"""Crashes against the Redis store: a worker killed mid-build, Redis restarted mid-queue."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

from velocity.quantum.executors.local import LocalExecutor
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.localqueue import LocalQueue
from velocity.quantum.model import Enqueue
from velocity.quantum.store.redis import RedisStore
from velocity.quantum.strategies import SpeculativeStrategy
from velocity.quantum.worker import Worker
from velocity.testing import RedisServer

SLEEPY = [sys.executable, "-c", "import os, time; time.sleep(float(os.environ.get('Q_SLEEP', 0)))"]


@pytest.fixture
def durable_redis(tmp_path):
    with RedisServer(tmp_path / "redis", persistence=True) as server:
        yield server


def make_queue(repo, url):
    return LocalQueue(GitMerger(repo.path), RedisStore(url), SpeculativeStrategy(3, 3))


def queue_three(repo, url):
    queue = make_queue(repo, url)
    for pr in (1, 2, 3):
        head = repo.pr(pr, {f"f{pr}.py": f"{pr}\n"})
        queue.apply(Enqueue(pr, head))
    return queue


def assert_all_merged_once(repo, queue):
    state = queue.sync()
    assert state.queue == ()
    assert sorted(state.finished) == [(1, "merged"), (2, "merged"), (3, "merged")]
    subjects = repo.git("log", "--first-parent", "--format=%s", "main").splitlines()
    assert [s.split()[1] for s in subjects if s.startswith("Merge")] == ["#3", "#2", "#1"]
    for pr in (1, 2, 3):
        assert repo.show("main", f"f{pr}.py") == str(pr)


def test_redis_restart_mid_queue_loses_nothing(repo, durable_redis, tmp_path):
    queue = queue_three(repo, durable_redis.url)
    claim = queue.store.claim("w1")  # one job taken, not acknowledged
    assert claim is not None
    durable_redis.kill()
    durable_redis.start()
    worker = Worker(queue, LocalExecutor(repo.path, SLEEPY, tmp_path / "wt"), "w2")
    worker.reclaim_after_ms = 0
    assert worker.run_once() == 3
    assert_all_merged_once(repo, queue)
    queue.store.close()


def spawn_worker(repo, url, name, env=None):
    code = "from velocity.quantum.cli import main; raise SystemExit(main())"
    args = ["worker", "--once", "--repo", str(repo.path), "--store", url, "--name", name]
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            *args,
            "--command",
            shlex.join(SLEEPY),
            "--reclaim-after",
            "0",
        ],
        env={**os.environ, **(env or {})},
        start_new_session=True,  # so the kill takes the worker's build with it, like a crash
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_worker_killed_mid_build_is_taken_over(repo, durable_redis):
    queue = queue_three(repo, durable_redis.url)
    doomed = spawn_worker(repo, durable_redis.url, "doomed", {"Q_SLEEP": "60"})
    checked_out = repo.path / ".velocity" / "worktrees" / "b1" / "f1.py"
    deadline = time.monotonic() + 30
    while not checked_out.exists():  # the build command runs now
        assert time.monotonic() < deadline, doomed.communicate()
        time.sleep(0.05)
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.communicate()
    rescuer = spawn_worker(repo, durable_redis.url, "rescuer")
    out, err = rescuer.communicate(timeout=60)
    assert rescuer.returncode == 0, err
    assert out.decode().strip() == "3 jobs run"
    assert_all_merged_once(repo, queue)
    queue.store.close()
