"""Edit-to-applied latency through ``livepatch watch``, per carrier, against rsync.

A probe reads the edited file's content hash where the target keeps it and stops the clock
when it matches: that is what a developer waits for after saving. The watcher runs in this
process (a real watchdog observer, the debounce of ``livepatch watch`` itself), into
local://, agent:// (the real gRPC agent with mutual TLS), ssh:// (the loopback sshd of
velocity.testing) and docker:// (a private dockerd; skipped, saying why, when none can run).
rsync goes through the same carrier where it has one (locally; over the same sshd with a
reused connection; through ``docker exec -i``), timed from the save to its return, which is
a lower bound for any watcher that runs rsync. Targets: p50 <= 20 ms, p95 <= 50 ms, warm.

CPU seconds per edit are summed over every process of this run (see bench_livepatch).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_livepatch import Rsync
from bench_livepatch import _cpu

from velocity.livepatch.cli import main as livepatch_main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.watch import Watcher
from velocity.testing import SSHServer
from velocity.testing.docker import DockerEngine
from velocity.testing.docker import DockerUnavailable

EDITS = int(os.environ.get("BENCH_EDITS", "40"))
FILES = int(os.environ.get("BENCH_LIVE_FILES", "2000"))
AGENT = f"{sys.executable} -m velocity.livepatch.agent"
WARMUP = 3


class Carrier:
    def __init__(self, name: str, url: str, options: ConnectOptions, probe: Path) -> None:
        self.name, self.url, self.options, self.probe = name, url, options, probe
        self.rsync: Callable[[Path], None] | None = None
        self.rsync_note = ""


def _tree(src: Path) -> list[str]:
    rels = [f"pkg{i % 20}/mod{i % 7}/file{i}.py" for i in range(FILES)]
    for i, rel in enumerate(rels):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(f"value = {i}\n" * 30)
    return rels


def _digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b""


def _edit_and_wait(src: Path, probe: Path, rel: str, text: str, timeout: float = 10.0) -> float:
    want = hashlib.sha256(text.encode()).digest()
    started = time.perf_counter()
    (src / rel).write_text(text)
    while _digest(probe / rel) != want:
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"{rel} never arrived in {probe}")
        time.sleep(0.0002)
    return time.perf_counter() - started


@contextmanager
def _watching(src: Path, carrier: Carrier, state: Path) -> Iterator[None]:
    with Syncer(src, parse_target(carrier.url), carrier.options, state) as syncer:
        syncer.sync()  # the initial sync is not what this bench measures
        with Watcher(syncer) as watcher:
            watcher.start()
            thread = threading.Thread(target=watcher.run, daemon=True)
            thread.start()
            try:
                yield
            finally:
                watcher.stop()
                thread.join(10)


def _measure(src: Path, rels: list[str], carrier: Carrier, work: Path) -> None:
    walls: list[float] = []
    with _watching(src, carrier, work / f"state-{carrier.name}"):
        cpu = 0.0
        for i in range(WARMUP + EDITS):
            text = f"# {carrier.name} edit {i}\n" * 30
            before = _cpu()
            wall = _edit_and_wait(src, carrier.probe, rels[(i * 37) % len(rels)], text)
            if i >= WARMUP:
                walls.append(wall)
                cpu += _cpu() - before
            time.sleep(0.03)  # separate edits, as typing does
    _line(f"livepatch watch {carrier.name}://", walls, cpu / EDITS, "target p50 <= 20, p95 <= 50")
    if carrier.rsync is None:
        print(f"  rsync {carrier.name}://: not measured ({carrier.rsync_note})")
        return
    walls, cpu = [], 0.0
    for i in range(EDITS):
        rel = rels[(i * 37) % len(rels)]
        (src / rel).write_text(f"# rsync {carrier.name} edit {i}\n" * 30)
        before, started = _cpu(), time.perf_counter()
        carrier.rsync(src)
        walls.append(time.perf_counter() - started)
        cpu += _cpu() - before
    _line(f"  rsync {carrier.name}:// (lower bound)", walls, cpu / EDITS, carrier.rsync_note)


def _line(name: str, walls: list[float], cpu: float, note: str) -> None:
    ordered = sorted(walls)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000
    print(f"{name:<38} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  cpu/edit {cpu * 1000:6.1f} ms  {note}")


def _local(work: Path) -> Carrier:
    dst, mirror = work / "dst-local", work / "rsync-local"
    dst.mkdir()
    mirror.mkdir()
    carrier = Carrier("local", f"local://{dst}", ConnectOptions(), dst)

    def rsync(src: Path) -> None:
        subprocess.run(["rsync", "-a", "--delete", f"{src}/", f"{mirror}/"], check=True)

    carrier.rsync, carrier.rsync_note = rsync, "rsync -a --delete, local"
    return carrier


def _ssh(work: Path, sshd: SSHServer, src: Path) -> Carrier:
    dst, mirror = work / "dst-ssh", work / "rsync-ssh"
    dst.mkdir()
    mirror.mkdir()
    options = ConnectOptions(
        agent_command=AGENT,
        known_hosts=str(sshd.known_hosts_path),
        identity=str(sshd.client_key_path),
    )
    carrier = Carrier("ssh", f"ssh://{sshd.user}@{sshd.host}:{sshd.port}{dst}", options, dst)
    rsync = Rsync(sshd, work)
    rsync.sync(src, mirror, reuse=True)  # opens the shared connection: warm, like ours

    def run(src: Path) -> None:
        rsync.sync(src, mirror, reuse=True)

    carrier.rsync = run
    carrier.rsync_note = "rsync -e ssh, same sshd, ControlMaster reused"
    return carrier


def _agent(work: Path, stack: ExitStack) -> Carrier:
    certs, root = work / "certs", work / "dst-agent"
    root.mkdir()
    for argv in (
        ["init"],
        ["issue", "agent", "box", "--allow", "bench"],
        ["issue", "client", "bench"],
    ):
        with contextlib.redirect_stdout(io.StringIO()):  # the CLI's advice is not a figure
            assert livepatch_main(["certs", *argv, "--dir", str(certs)]) == 0
    serve = [*AGENT.split(), "serve", "--root", str(root), "--listen", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [*serve, "--tls-dir", str(certs / "agents/box")], stderr=subprocess.PIPE, text=True
    )
    stack.callback(proc.wait, 10)
    stack.callback(proc.terminate)
    assert proc.stderr is not None
    match = re.search(r"listening on (\S+)", proc.stderr.readline())
    if match is None:
        raise SystemExit("the agent did not start")
    carrier = Carrier(
        "agent", f"agent://{match.group(1)}", ConnectOptions(tls_dir=str(certs)), root
    )
    carrier.rsync_note = "rsync has no gRPC carrier; see local:// and ssh://"
    return carrier


def _docker(work: Path, stack: ExitStack, src: Path) -> Carrier | None:
    engine = DockerEngine(work / "docker")
    try:
        engine.start()
        stack.callback(engine.stop)
        image = engine.base_image()
    except DockerUnavailable as exc:
        print(f"docker:// skipped: {exc}")
        return None
    dst = work / "dst-docker"
    dst.mkdir()
    name = "bench-livepatch-live"
    mounts = [*engine.python_run_args(), "-v", f"{dst}:/app"]
    engine.docker(
        "run", "-d", "--name", name, "--network", "none", *mounts, image, "sleep", "infinity"
    )
    os.environ["DOCKER_HOST"] = engine.env["DOCKER_HOST"]
    carrier = Carrier("docker", f"docker://{name}/app", ConnectOptions(agent_command=AGENT), dst)

    def rsync(src: Path) -> None:
        # rsync runs "docker exec -i NAME rsync --server ..." as its remote shell.
        argv = ["rsync", "-a", "--delete", "--blocking-io", "-e", "docker exec -i"]
        subprocess.run([*argv, f"{src}/", f"{name}:/rsync-mirror/"], check=True)

    rsync(src)  # the first, full copy is not an edit
    carrier.rsync, carrier.rsync_note = rsync, "rsync -e 'docker exec -i', same container"
    return carrier


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        src = work / "src"
        rels = _tree(src)
        print(f"{FILES} files; {EDITS} edits per carrier after {WARMUP} warm-up edits\n")
        sshd = stack.enter_context(SSHServer(work / "sshd"))
        carriers = [_local(work), _agent(work, stack), _ssh(work, sshd, src)]
        docker = _docker(work, stack, src)
        carriers += [docker] if docker else []
        for carrier in carriers:
            _measure(src, rels, carrier, work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
