from __future__ import annotations

import json
import shlex
import sys

import pytest

from velocity.quantum.cli import main
from velocity.quantum.gitsim import GitError
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.localqueue import LocalQueue
from velocity.quantum.model import BuildFinished
from velocity.quantum.model import Enqueue
from velocity.quantum.store.sqlite import SQLiteStore
from velocity.quantum.strategies import SpeculativeStrategy

CHECK = "import os, sys; sys.exit(1 if os.path.exists('broken.txt') else 0)"
COMMAND = shlex.join([sys.executable, "-c", CHECK])


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_enqueue_worker_status_land_prs_and_eject_conflicts(repo, capsys):
    repo.pr(1, {"one.py": "1\n", "app.py": "x = 10\n"})
    repo.pr(2, {"two.py": "2\n"})
    repo.pr(3, {"app.py": "x = 30\n"})
    where = ["--repo", str(repo.path)]
    code, out, _ = run(capsys, "enqueue", "1", "--head", "pr1", *where)
    assert code == 0
    assert "b1: building #1" in out
    run(capsys, "enqueue", "2", "--head", "pr2", *where)
    code, out, _ = run(capsys, "enqueue", "3", "--head", "pr3", *where)
    assert "b3: building #1 + #2 + #3" in out
    code, out, _ = run(capsys, "status", *where, "--json")
    assert [row["build_status"] for row in json.loads(out)["queue"]] == ["running"] * 3

    code, out, _ = run(capsys, "worker", "--once", "--command", COMMAND, *where)
    assert code == 0
    code, out, _ = run(capsys, "status", *where, "--json")
    data = json.loads(out)
    assert data["queue"] == []
    assert data["finished"] == [[1, "merged"], [2, "merged"], [3, "ejected"]]
    assert repo.show("main", "one.py") == "1"
    assert repo.show("main", "two.py") == "2"
    assert repo.show("main", "app.py") == "x = 10"
    log = repo.git("log", "--first-parent", "--format=%s", "main")
    assert log.splitlines()[:2] == [
        f"Merge #2 ({repo.git('rev-parse', 'pr2')[:12]}) speculatively",
        f"Merge #1 ({repo.git('rev-parse', 'pr1')[:12]}) speculatively",
    ]
    assert ".velocity" not in repo.git("status", "--porcelain")


def test_failing_build_ejects_and_dequeue_and_status_text(repo, capsys):
    repo.pr(1, {"broken.txt": "yes\n"})
    repo.pr(2, {"two.py": "2\n"})
    where = ["--repo", str(repo.path), "--depth", "1"]
    run(capsys, "enqueue", "1", "--head", "pr1", *where)
    run(capsys, "enqueue", "2", "--head", "pr2", *where)
    code, out, _ = run(capsys, "status", *where)
    assert "1. #1" in out
    assert "b1 running" in out
    assert "2. #2" in out
    assert "waiting" in out
    run(capsys, "worker", "--once", "--command", COMMAND, *where)
    code, out, _ = run(capsys, "status", *where)
    assert "#1 ejected" in out
    assert "#2 merged" in out
    repo.pr(4, {"four.py": "4\n"})
    run(capsys, "enqueue", "4", "--head", "pr4", *where)
    code, out, _ = run(capsys, "dequeue", "4", *where, "--json")
    assert {"action": "CancelBuild", "build_id": "b3"} in json.loads(out)
    code, _, err = run(capsys, "dequeue", "4", *where)
    assert code == 2
    assert "#4 is not in the queue" in err


def test_a_push_outside_the_queue_rebuilds_on_the_new_base(repo, capsys):
    repo.pr(1, {"one.py": "1\n"})
    where = ["--repo", str(repo.path)]
    run(capsys, "enqueue", "1", "--head", "pr1", *where)
    pushed = repo.commit("main", {"hotfix.py": "!\n"}, "hotfix")
    _code, out, _ = run(capsys, "status", *where, "--json")
    data = json.loads(out)
    assert data["base"] == pushed
    assert data["queue"][0]["build"] == "b2"
    run(capsys, "worker", "--once", "--command", COMMAND, *where)
    assert repo.show("main", "hotfix.py") == "!"
    assert repo.show("main", "one.py") == "1"


def test_bad_head_or_repo_is_one_line_exit_2(repo, tmp_path, capsys):
    code, _, err = run(capsys, "enqueue", "1", "--head", "nope", "--repo", str(repo.path))
    assert code == 2
    assert err.startswith("quantum: error: git rev-parse failed")
    code, _, err = run(capsys, "status", "--repo", str(tmp_path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1


def test_worker_times_out_builds_and_ejects_after_repeated_timeouts(repo, capsys):
    repo.pr(1, {"one.py": "1\n"})
    where = ["--repo", str(repo.path)]
    run(capsys, "enqueue", "1", "--head", "pr1", *where)
    sleepy = shlex.join([sys.executable, "-c", "import time; time.sleep(30)"])
    code, out, _ = run(capsys, "worker", "--once", "--timeout", "0.3", "--command", sleepy, *where)
    assert code == 0
    assert out.strip() == "3 jobs run"
    code, out, _ = run(capsys, "status", *where, "--json")
    assert json.loads(out)["finished"] == [[1, "ejected"]]


def test_two_queues_racing_to_land_the_same_merge_both_succeed(repo, tmp_path):
    def queue():
        store = SQLiteStore(tmp_path / "q.db")
        return LocalQueue(GitMerger(repo.path), store, SpeculativeStrategy(2, 2))

    first, second = queue(), queue()
    first.apply(Enqueue(1, repo.pr(1, {"one.py": "1\n"})))
    first.apply(BuildFinished("b1", "pass"))
    landed = repo.git("rev-parse", "main")
    second._fast_forward(landed, repo.base)  # stale: main already moved to this commit
    assert repo.git("rev-parse", "main") == landed
    state = second.sync()
    assert state.final_state(1) == "merged"
    assert (state.base_sha, state.landed) == (landed, ())  # the chain was compacted
    for q in (first, second):
        q.store.close()


def test_a_merge_goes_on_from_a_part_of_its_chain_landed_by_another_queue(repo, tmp_path):
    # Two workers on one remote: one pushed base+#1 while the other pushes base+#1+#2,
    # leased on the base it read before; its push is refused, then goes on from base+#1.
    queue = LocalQueue(
        GitMerger(repo.path), SQLiteStore(tmp_path / "q.db"), SpeculativeStrategy(2, 2)
    )
    one = repo.commit("chain", {"one.py": "1\n"}, "base + #1", start=repo.base)
    both = repo.commit("chain", {"two.py": "2\n"}, "base + #1 + #2", start="chain")
    repo.git("update-ref", "refs/heads/main", one)  # the other worker's merge
    queue._fast_forward(both, repo.base)  # leased on what it read: refused, then retried
    assert repo.git("rev-parse", "main") == both
    repo.git("update-ref", "refs/heads/main", repo.base)
    elsewhere = repo.commit("other", {"x.py": "x\n"}, "not the queue's", start=repo.base)
    repo.git("update-ref", "refs/heads/main", elsewhere)
    with pytest.raises(GitError):  # moved where the chain does not lead: not ours to overwrite
        queue._fast_forward(both, repo.base)
    assert repo.git("rev-parse", "main") == elsewhere
    queue.store.close()
