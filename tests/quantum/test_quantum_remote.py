"""Workers on separate clones of one remote cooperate through Redis."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from velocity.quantum.cli import main

# Each build takes a moment, so the two workers both get some of the jobs.
SLOW = shlex.join([sys.executable, "-c", "import time; time.sleep(1.5)"])


def spawn_worker(clone, url, origin, name):
    code = "from velocity.quantum.cli import main; raise SystemExit(main())"
    args = ["worker", "--once", "--repo", str(clone), "--store", url, "--remote", str(origin)]
    return subprocess.Popen(
        [sys.executable, "-c", code, *args, "--name", name, "--command", SLOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_in_separate_clones_land_the_queue_on_the_remote(
    repo, tmp_path, redis_server, capsys
):
    def git(*args, cwd=repo.path):
        return repo.git("-C", str(cwd), *args)  # the fixture's git, with its identity

    heads = [repo.pr(pr, {f"f{pr}.py": f"{pr}\n"}) for pr in (1, 2, 3)]
    origin = tmp_path / "origin.git"
    git("clone", "--quiet", "--bare", str(repo.path), str(origin))
    clones = [tmp_path / "a", tmp_path / "b"]
    for clone in clones:
        git("clone", "--quiet", str(origin), str(clone))
    where = ["--store", redis_server.url, "--remote", str(origin)]
    for pr, head in zip((1, 2, 3), heads, strict=True):
        assert main(["enqueue", str(pr), "--head", head, "--repo", str(clones[0]), *where]) == 0

    workers = [
        spawn_worker(clone, redis_server.url, origin, name)
        for clone, name in zip(clones, ("a", "b"), strict=True)
    ]
    ran = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        ran.append(int(out.split()[0]))
    assert sum(ran) == 3
    assert min(ran) >= 1  # shared out between the two

    subjects = git("log", "--first-parent", "--format=%s", "main", cwd=origin).splitlines()
    assert [s.split()[1] for s in subjects if s.startswith("Merge")] == ["#3", "#2", "#1"]
    for pr in (1, 2, 3):
        assert git("show", f"main:f{pr}.py", cwd=origin) == str(pr)
    capsys.readouterr()
    assert main(["status", "--repo", str(clones[1]), *where, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["queue"] == []
    assert sorted(map(tuple, data["finished"])) == [(1, "merged"), (2, "merged"), (3, "merged")]
    assert data["base"] == git("rev-parse", "main", cwd=origin)
    assert git("rev-parse", "origin/main", cwd=clones[1]) == repo.base  # its own refs untouched
