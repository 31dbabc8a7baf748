"""A job that breaks its worker is reported as a CI error, and only so many times."""

from __future__ import annotations

import json

from velocity.quantum.cli import main
from velocity.quantum.codec import Job
from velocity.quantum.gitsim import GitError
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.localqueue import LocalQueue
from velocity.quantum.model import Enqueue
from velocity.quantum.store.sqlite import SQLiteStore
from velocity.quantum.strategies import SpeculativeStrategy
from velocity.quantum.worker import MAX_ATTEMPTS
from velocity.quantum.worker import Worker


class Exploding:
    """An executor whose every build hits a git error."""

    def __init__(self):
        self.started = []

    def start(self, job: Job, now: float) -> None:
        self.started.append(job.build_id)
        raise GitError("fatal: not a git repository")

    def cancel(self, build_id: str) -> None:
        pass

    def poll(self, now: float) -> list:
        return []


def local_queue(repo, tmp_path):
    store = SQLiteStore(tmp_path / "q.db")
    return LocalQueue(GitMerger(repo.path), store, SpeculativeStrategy(1, 1))


def test_an_executor_error_is_a_build_error_not_a_crash(repo, tmp_path):
    queue = local_queue(repo, tmp_path)
    queue.apply(Enqueue(1, repo.pr(1, {"one.py": "1\n"})))
    executor = Exploding()
    assert Worker(queue, executor, "w1").run_once() == 3  # rebuilt until MAX_ERRORS
    assert executor.started == ["b1", "b2", "b3"]
    state = queue.store.load()
    assert state.final_state(1) == "ejected"
    [record] = queue.store.history(1)
    assert (record.pr, record.final) == (1, "ejected")
    assert record.reason == "CI errored 3 times (last: b3)"
    queue.store.close()


def test_a_job_that_keeps_killing_its_worker_is_reported_as_an_error(repo, tmp_path):
    queue = local_queue(repo, tmp_path)
    queue.apply(Enqueue(1, repo.pr(1, {"one.py": "1\n"})))
    store = queue.store
    claim = store.claim("dead-1")  # handed out, never acknowledged: its worker died
    assert claim is not None
    assert claim.attempts == 1
    for n in range(2, MAX_ATTEMPTS + 1):
        [claim] = store.reclaim(f"dead-{n}", 0)
        assert claim.attempts == n
    executor = Exploding()
    Worker(queue, executor, "w", reclaim_after_ms=0).run_once()
    # b1 was not run a fourth time: it counted as the first of the PR's CI errors.
    assert executor.started == ["b2", "b3"]
    assert [(r.pr, r.final) for r in store.history()] == [(1, "ejected")]
    store.close()


def test_status_json_lists_build_logs(repo, capsys):
    repo.pr(1, {"one.py": "1\n"})
    where = ["--repo", str(repo.path)]
    main(["enqueue", "1", "--head", "pr1", *where])
    main(["worker", "--once", "--command", "git --version", *where])
    capsys.readouterr()
    main(["status", *where, "--json"])
    logs = json.loads(capsys.readouterr().out)["logs"]
    assert list(logs) == ["b1"]
    with open(logs["b1"], encoding="utf-8") as log:
        assert "git version" in log.read()
