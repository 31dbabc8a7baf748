"""``livepatch logs``: the supervised app's output and the agent's events, history and -f."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from velocity.livepatch.agent._logring import LogRing
from velocity.livepatch.cli import main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.client import stream_logs

LIVEPATCH = [
    sys.executable,
    "-c",
    "import sys; from velocity.livepatch.cli import main; sys.exit(main())",
]


def push(src, url, tmp_path, message, options=None):
    (src / "msg.txt").write_text(f"{message}\n")
    with Syncer(src, parse_target(url), options, tmp_path / "state") as syncer:
        return syncer.sync()


class Lines:
    """A subprocess's stdout lines, read on a thread, waited for with a deadline."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def expect(self, pattern, timeout=20.0):
        deadline, seen = time.monotonic() + timeout, []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matched {pattern!r} in {timeout} s: {seen}")

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        self._reader.join(10)
        self.proc.stdout.close()
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        return code, err


def test_history_has_output_and_events(supervise, app_src, app_root, tmp_path, capsys):
    agent = supervise("--reload", "signal:HUP", "--grace", "0.2")
    url = f"local://{app_root}"
    push(app_src, url, tmp_path, "two")
    assert main(["logs", url]) == 0
    out = capsys.readouterr().out.splitlines()
    pid = agent.first_pid
    expected = [
        rf"\* started: started pid {pid}: ",
        rf"stdout: pid {pid} msg: one$",
        r"stderr: stderr one$",
        r"\* applied: applied 2 changes: ",  # .livepatchignore and msg.txt
        rf"stdout: pid {pid} msg: two$",
        rf"\* reloaded: reloaded \(signal:HUP\): pid {pid}$",
    ]
    found = [next((i for i, line in enumerate(out) if re.search(p, line)), -1) for p in expected]
    assert -1 not in found, out
    assert found[0] == 0  # started, before any output of the app
    assert found[1] < found[3] < min(found[4], found[5])  # applied, then the reload's effects
    # --lines bounds the history; --json is one object a line.
    assert main(["logs", url, "--lines", "2", "--json"]) == 0
    last_two = capsys.readouterr().out.splitlines()
    assert len(last_two) == 2
    assert '"kind": "reloaded"' in last_two[-1]


@pytest.mark.parametrize("carrier", ["local", "agent"])
def test_follow_streams_new_lines_until_interrupted(
    carrier, supervise, app_src, app_root, tmp_path, pki
):
    grpc_options = ("--listen", "127.0.0.1:0", "--tls-dir", str(pki / "agents/box"))
    agent = supervise("--reload", "signal:HUP", "--grace", "0.2", *grpc_options)
    url = f"local://{app_root}" if carrier == "local" else f"agent://{agent.address}"
    follower = Lines([*LIVEPATCH, "logs", url, "-f", "--tls-dir", str(pki)])
    try:
        follower.expect(rf"stdout: pid {agent.first_pid} msg: one$")  # the history first
        push(app_src, url, tmp_path, "live", ConnectOptions(tls_dir=str(pki)))
        follower.expect(r"\* applied: ")
        follower.expect(rf"stdout: pid {agent.first_pid} msg: live$")
        follower.expect(r"\* reloaded: reloaded \(signal:HUP\)")
    finally:
        code, err = follower.interrupt()
    assert code == 130, err


def test_stream_logs_stops_when_asked_even_if_the_app_is_quiet(supervise, app_root):
    agent = supervise("--reload", "none")
    stop = threading.Event()
    events = stream_logs(f"local://{app_root}", follow=True, stop=stop, lines=1)
    first = next(events)  # history: the app's last line (stdout and stderr race)
    assert first.text in {"stderr one", f"pid {agent.first_pid} msg: one"}
    stop.set()
    started = time.monotonic()
    assert list(events) == []
    assert time.monotonic() - started < 5  # the agent's keepalive brings the stop through


def test_logs_without_a_supervisor_is_a_clear_error(app_root, capsys):
    assert main(["logs", f"local://{app_root}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no supervisor runs for this root" in err
    assert "livepatch-agent run --root ROOT -- CMD" in err


def test_logs_from_a_plain_grpc_agent_is_a_clear_error(app_root, pki, capsys):
    argv = [sys.executable, "-m", "velocity.livepatch.agent", "serve", "--root", str(app_root)]
    argv += ["--listen", "127.0.0.1:0", "--tls-dir", str(pki / "agents/box")]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    try:
        address = re.search(r"listening on (\S+)", proc.stderr.readline()).group(1)
        assert main(["logs", f"agent://{address}", "--tls-dir", str(pki)]) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no supervisor runs for this root" in err


def test_the_ring_is_bounded_and_followers_see_only_new_records():
    ring = LogRing(keep=10)
    for i in range(25):
        ring.append("stdout", f"line {i}")
    assert [r.text for r in ring.history()] == [f"line {i}" for i in range(15, 25)]
    assert [r.text for r in ring.history(3)] == ["line 22", "line 23", "line 24"]
    last = ring.history()[-1].seq
    follower = ring.follow(last, lambda: True, tick=0.05)
    assert next(follower) is None  # idle: a keepalive
    ring.event("applied", "applied 1 changes: x")
    record = next(follower)
    assert record is not None
    assert (record.stream, record.kind, record.text) == ("event", "applied", "applied 1 changes: x")
