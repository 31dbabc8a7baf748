"""``velocity dashboard``: refuses bad input in one line, serves, and stops on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_support import make_repo

from velocity.cli import main
from velocity.testing import free_port


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", modules=4, tests=1)


def fails(capsys, argv: list[str]) -> str:
    assert main(["dashboard", "--no-open", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("velocity: error: ")
    return err


def test_bad_store_urls_are_one_line_errors(capsys, repo: Path, tmp_path: Path):
    assert "unsupported store" in fails(capsys, ["--repo", str(repo), "--store", "http://x/"])
    assert "no such store" in fails(capsys, ["--repo", str(repo), "--store", str(tmp_path / "n")])
    bad = fails(capsys, ["--repo", str(repo), "--store", "redis://:hunter2@127.0.0.1:x/0"])
    assert "bad Redis URL" in bad
    assert "hunter2" not in bad
    not_a_store = tmp_path / "x.db"
    not_a_store.write_text("hello")
    assert "not a merge queue store" in fails(
        capsys, ["--repo", str(repo), "--store", str(not_a_store)]
    )


def test_a_dead_redis_is_a_one_line_error(capsys, repo: Path, redis_server):
    url = redis_server.url
    redis_server.stop()
    assert "cannot reach Redis" in fails(capsys, ["--repo", str(repo), "--store", url])


def test_other_bad_options(capsys, tmp_path: Path, repo: Path):
    assert "not a git repository" in fails(capsys, ["--repo", str(tmp_path)])
    assert "unknown target" in fails(capsys, ["--repo", str(repo), "--agent", "ftp://h/p"])


def test_serves_until_interrupted(repo: Path):
    port = free_port()
    argv = [sys.executable, "-m", "velocity", "dashboard", "--no-open", "--repo", str(repo)]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)], stderr=subprocess.PIPE, text=True, cwd=repo
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert re.search(rf"velocity dashboard on http://127\.0\.0\.1:{port}/", line), line
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url + "/api/graph", timeout=30) as response:  # noqa: S310
                    graph = json.load(response)
                break
            except OSError:
                proc.poll()
                assert proc.returncode is None
                time.sleep(0.1)
        assert len(graph["nodes"]) == 6
        # An open event stream must not hold the shutdown up.
        stream = urllib.request.urlopen(url + "/api/queues/stream", timeout=30)  # noqa: S310
        assert stream.readline().startswith(b"event: queues")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        stream.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_an_unknown_base_is_a_one_line_error(capsys, repo: Path):
    assert "unknown git revision" in fails(capsys, ["--repo", str(repo), "--base", "nope"])
