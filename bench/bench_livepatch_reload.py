"""livepatch with a supervising agent: edit -> reload confirmed, and crash -> rolled back -> up.

A real ``livepatch-agent run --reload signal:HUP -- python app.py`` (the app prints the
content of msg.txt on SIGHUP, and exits when it reads "crash").

(a) Edit to reload confirmed, over agent:// (gRPC, mutual TLS) and local:// (a stdio agent
    relaying to the supervisor's socket), BENCH_EDITS edits each: "reply" is the sync call
    returning with the reload outcome (the signal was delivered, grace 0); "app" is the
    moment the client sees the app's own output line for the new content (``logs -f``).
    Anchor: the same sync without a supervisor (a stdio agent, nothing reloaded).
(b) Crash to back up, BENCH_CRASHES runs (grace 1 s): from the app's exit to its restart's
    first output line, by the agent's own event clock (exited -> rolled_back -> started ->
    first line). Target: <= 1 s p50.

The machine may be shared: every figure is a median (p95 next to it where asked), and CPU
seconds of the whole process tree (client, agents, app) are reported next to wall time.
"""

from __future__ import annotations

import os
import queue
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from velocity.livepatch.certs import init_ca
from velocity.livepatch.certs import issue_agent
from velocity.livepatch.certs import issue_client
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import LogEvent
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.client import stream_logs

EDITS = int(os.environ.get("BENCH_EDITS", "30"))
CRASHES = int(os.environ.get("BENCH_CRASHES", "10"))
_TICK = os.sysconf("SC_CLK_TCK")
APP = """\
import pathlib, signal, sys
here = pathlib.Path(__file__).parent
def show(*_):
    text = (here / "msg.txt").read_text().strip()
    print(f"msg: {text}", flush=True)
    if text == "crash":
        sys.exit(3)
signal.signal(signal.SIGHUP, show)
show()
while True:
    signal.pause()
"""


def _cpu() -> float:
    # This process, its reaped children, and every live descendant with its reaped ones.
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    parents: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICK)
    mine = {os.getpid()}
    for _ in range(8):
        mine |= {pid for pid, (ppid, _) in parents.items() if ppid in mine}
    return total + sum(parents[p][1] for p in mine if p != os.getpid() and p in parents)


class Follower:
    """``stream_logs(follow=True)`` on a thread: (client receipt time, event) pairs."""

    def __init__(self, url: str, options: ConnectOptions) -> None:
        self.events: queue.Queue[tuple[float, LogEvent]] = queue.Queue()
        self.stop = threading.Event()
        self._args = (url, options)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        url, options = self._args
        for event in stream_logs(url, follow=True, options=options, lines=1, stop=self.stop):
            self.events.put((time.perf_counter(), event))

    def wait(
        self, match: Callable[[LogEvent], bool], timeout: float = 30.0
    ) -> tuple[float, LogEvent]:
        deadline = time.monotonic() + timeout
        while True:
            seen, event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if match(event):
                return seen, event


def _supervise(root: Path, tls: Path, grace: str) -> tuple[subprocess.Popen[str], str]:
    argv = [sys.executable, "-m", "velocity.livepatch.agent", "run", "--root", str(root)]
    argv += ["--reload", "signal:HUP", "--grace", grace, "--listen", "127.0.0.1:0"]
    argv += ["--tls-dir", str(tls), "--", sys.executable, str(root / "app.py")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if found := re.search(r"listening on (\S+)", line):
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, found.group(1)
    raise SystemExit(f"the agent did not start (exit {proc.wait()})")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * q) - 1)]


def _edits(url: str, src: Path, work: Path, options: ConnectOptions, follow: bool) -> None:
    follower = Follower(url, options) if follow else None
    replies, apps = [], []
    cpu = _cpu()
    with Syncer(src, parse_target(url), options, work / f"state-{len(url)}-{follow}") as syncer:
        syncer.sync()
        for i in range(EDITS):
            text = f"edit {i} {url}"
            started = time.perf_counter()
            (src / "msg.txt").write_text(text + "\n")
            result = syncer.sync(["msg.txt"])  # told the path, as a watcher would
            replies.append(time.perf_counter() - started)
            if result.reload is None or not (result.reload.ok or not follow):
                raise SystemExit(f"{url}: the reload failed: {result.reload}")
            if follower is not None:
                seen, _ = follower.wait(lambda e, t=text: e.text == f"msg: {t}")
                apps.append(seen - started)
    cpu = (_cpu() - cpu) / EDITS
    if follower is not None:
        follower.stop.set()
    name = url.split(":", 1)[0] + ("" if follow else " (no supervisor)")
    line = f"{name:<26} reply p50 {statistics.median(replies) * 1000:6.1f} ms"
    line += f" p95 {_pct(replies, 0.95) * 1000:6.1f} ms"
    if apps:
        line += f"  app p50 {statistics.median(apps) * 1000:6.1f} ms"
        line += f" p95 {_pct(apps, 0.95) * 1000:6.1f} ms"
    print(f"{line}  cpu/edit {cpu * 1000:6.1f} ms", flush=True)


def _crashes(url: str, src: Path, work: Path, options: ConnectOptions) -> None:
    follower = Follower(url, options)
    backs, totals = [], []
    cpu = _cpu()
    with Syncer(src, parse_target(url), options, work / "state-crash") as syncer:
        for _ in range(CRASHES):
            started = time.perf_counter()
            (src / "msg.txt").write_text("crash\n")
            result = syncer.sync(["msg.txt"])
            if result.rollback is None or not result.rollback.rolled_back:
                raise SystemExit(f"{url}: the crash was not rolled back: {result}")
            _, exited = follower.wait(lambda e: e.kind == "exited")
            follower.wait(lambda e: e.kind == "rolled_back")
            follower.wait(lambda e: e.kind == "started")
            seen, back = follower.wait(lambda e: e.stream == "stdout")
            backs.append(back.time - exited.time)
            totals.append(seen - started)
            (src / "msg.txt").write_text("ok\n")  # the next run crashes from a good state
            syncer.sync(["msg.txt"])
    follower.stop.set()
    cpu = (_cpu() - cpu) / CRASHES
    p50 = statistics.median(backs)
    print(
        f"crash -> files restored -> app back   p50 {p50 * 1000:6.1f} ms"
        f" p95 {_pct(backs, 0.95) * 1000:6.1f} ms (target <= 1000 ms: x{p50:4.2f})"
        f"  edit -> back p50 {statistics.median(totals) * 1000:6.1f} ms"
        f"  cpu/run {cpu * 1000:6.1f} ms",
        flush=True,
    )


def _setup(work: Path) -> tuple[Path, Path, Path, ConnectOptions]:
    certs = work / "certs"
    init_ca(certs)
    tls = issue_agent(certs, "box", certs / "agents/box", hosts=["127.0.0.1"], allow=["bench"])
    issue_client(certs, "bench")
    root, src = work / "root", work / "src"
    for base in (root, src):
        base.mkdir()
        (base / "app.py").write_text(APP)
        (base / "msg.txt").write_text("ok\n")
    return root, src, tls, ConnectOptions(tls_dir=str(certs))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        work = Path(tmp)
        root, src, tls, options = _setup(work)
        plain = work / "plain"
        plain.mkdir()
        _edits(f"local://{plain}", src, work, options, follow=False)  # the anchor
        proc, address = _supervise(root, tls, "0")
        try:
            _edits(f"agent://{address}", src, work, options, follow=True)
            _edits(f"local://{root}", src, work, options, follow=True)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        proc, address = _supervise(root, tls, "1")
        try:
            _crashes(f"agent://{address}", src, work, options)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
