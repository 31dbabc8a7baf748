from __future__ import annotations

import sys

from velocity.quantum.codec import Job
from velocity.quantum.executors import LocalExecutor
from velocity.quantum.executors import SimulatedExecutor
from velocity.quantum.executors import SimulatedOutcomes
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Conflicted


def job(build_id, *prs, base="base"):
    return Job(build_id, base, tuple((pr, f"h{pr}") for pr in prs))


def test_simulated_builds_finish_after_the_ci_duration_with_seeded_outcomes():
    sim = SimulatedExecutor(SimulatedOutcomes(ci_duration=600, broken=frozenset({2})))
    sim.start(job("b1", 1), now=0)
    sim.start(job("b2", 1, 2), now=10)
    assert sim.next_due() == 600
    assert sim.poll(599) == []
    assert sim.poll(600) == [BuildFinished("b1", "pass")]
    assert sim.poll(10_000) == [BuildFinished("b2", "fail")]
    assert sim.next_due() is None


def test_simulated_durations_and_flakes_are_reproducible_per_seed():
    outcomes = SimulatedOutcomes(ci_duration=600, sigma=0.5, flake_rate=0.3)

    def run(seed):
        sim = SimulatedExecutor(outcomes, seed=seed)
        for i in range(20):
            sim.start(job(f"b{i}", i), now=0)
        times = []
        while (due := sim.next_due()) is not None:
            times.append((due, sim.poll(due)))
        return times

    assert run(1) == run(1)
    assert run(1) != run(2)
    outcomes_seen = {e.outcome for _, events in run(1) for e in events}
    assert outcomes_seen == {"pass", "fail"}


def test_simulated_conflicts_come_back_at_once_and_cancel_voids_results():
    sim = SimulatedExecutor(SimulatedOutcomes(conflicting=frozenset({3})))
    sim.start(job("b1", 3), now=0)  # nothing ahead of #3: no conflict
    sim.start(job("b2", 1, 3), now=0)
    assert sim.poll(0) == [Conflicted(3, ("src/pr3.py",))]
    sim.cancel("b1")
    assert sim.next_due() is None
    assert sim.poll(1e9) == []


def command(check):
    return [sys.executable, "-c", check]


def test_local_executor_runs_the_command_in_a_worktree_of_the_spec_commit(repo, tmp_path):
    h1 = repo.pr(1, {"one.py": "1\n"})
    h2 = repo.pr(2, {"two.py": "2\n"})
    check = "import os, sys; sys.exit(0 if os.path.exists('one.py') else 1)"
    local = LocalExecutor(repo.path, command(check), workdir=tmp_path / "wt")
    local.start(Job("b1", repo.base, ((1, h1), (2, h2))), now=0)
    local.start(Job("b2", repo.base, ((2, h2),)), now=0)
    assert sorted(local.wait(30), key=str) == [
        BuildFinished("b1", "pass"),
        BuildFinished("b2", "fail"),
    ]
    assert repo.git("rev-list", "--parents", "-n1", local.commits["b1"]).split()[2] == h2
    assert list((tmp_path / "wt").iterdir()) == []  # worktrees removed
    assert "wt" not in repo.git("worktree", "list")


def test_local_executor_reports_conflicts_and_cancels(repo, tmp_path):
    h1 = repo.pr(1, {"app.py": "x = 10\n"})
    h2 = repo.pr(2, {"app.py": "x = 20\n"})
    local = LocalExecutor(repo.path, "sleep 30", workdir=tmp_path / "wt")
    local.start(Job("b1", repo.base, ((1, h1), (2, h2))), now=0)
    assert local.poll(0) == [Conflicted(2, ("app.py",))]
    local.start(Job("b2", repo.base, ((1, h1),)), now=0)
    assert local.poll(0) == []
    local.cancel("b2")
    local.cancel("b2")
    assert local.wait(5) == []
    assert list((tmp_path / "wt").iterdir()) == []


def test_local_executor_keeps_each_build_output_in_a_log(repo, tmp_path):
    h1 = repo.pr(1, {"one.py": "1\n"})
    say = "import sys; print('hello from the build'); sys.exit(3)"
    local = LocalExecutor(repo.path, command(say), workdir=tmp_path / "wt")
    local.start(Job("b1", repo.base, ((1, h1),)), now=0)
    assert local.wait(30) == [BuildFinished("b1", "fail")]
    assert local.log_path("b1") == repo.path / ".velocity" / "quantum" / "logs" / "b1.log"
    assert "hello from the build" in local.log_path("b1").read_text()
    assert ".velocity" not in repo.git("status", "--porcelain")


def test_local_executor_reports_a_git_failure_as_a_build_error(repo, tmp_path):
    local = LocalExecutor(repo.path, "true", workdir=tmp_path / "wt", logdir=tmp_path / "logs")
    local.start(Job("b1", "0" * 40, ((1, "1" * 40),)), now=0)  # no such commits
    assert local.poll(0) == [BuildFinished("b1", "error")]
    assert "could not start" in (tmp_path / "logs" / "b1.log").read_text()
    missing = LocalExecutor(repo.path, "no-such-command-here", workdir=tmp_path / "wt2")
    missing.start(Job("b3", repo.base, ()), now=0)
    assert missing.poll(0) == [BuildFinished("b3", "error")]
