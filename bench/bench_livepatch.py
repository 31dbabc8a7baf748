"""livepatch over SSH against rsync over the same loopback sshd (velocity.testing.SSHServer).

Tree from issue #5: 5,000 small files (~20 MB) plus one 50 MB binary, and a 50,000-file
tree. Figures, all from this run on this machine: initial sync; a one-file edit (rsync
with a fresh and with a reused connection; livepatch warm, both told the path as a
watcher would and with a full walk); 1 % of the 50 MB file changed; the warm edit on the
50,000-file tree against the 5,000-file one. Targets: edit <= 20 ms p50 and <= file size
+ 1 KB on the wire; 1 % of 50 MB <= 1.1x rsync's bytes and <= 200 ms; initial no slower
than rsync; 50,000 files within 1.5x of 5,000.

The machine may be shared, so wall times are noisy: every figure is a median over
repetitions that interleave the contenders (each sees the same disk and CPU load), and
CPU seconds are reported too, summed over every process of this run (client, ssh, sshd
sessions, the agent, both rsyncs; not an ssh ControlPersist master, which detaches).
"""

from __future__ import annotations

import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import parse_target
from velocity.testing import SSHServer

EDITS = int(os.environ.get("BENCH_EDITS", "30"))
INITIAL_ROUNDS = int(os.environ.get("BENCH_INITIAL_ROUNDS", "3"))
BIG_ROUNDS = int(os.environ.get("BENCH_BIG_ROUNDS", "7"))
AGENT = f"{sys.executable} -m velocity.livepatch.agent"
_TICK = os.sysconf("SC_CLK_TCK")
Run = Callable[[], float]


def _tree(root: Path, files: int, size: int, big: int) -> None:
    rng = random.Random(files)  # a reproducible corpus
    for i in range(files):
        path = root / f"pkg{i % 40}/mod{i % 9}/file{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size // 2).hex().encode()[: rng.randint(size // 2, size)])
    if big:
        (root / "blob.bin").write_bytes(os.urandom(big))


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
            ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
            parents[int(entry)] = (int(fields[1]), ticks / _TICK)
    mine = {os.getpid()}
    for _ in range(8):  # a few passes reach every depth of a small process tree
        mine |= {pid for pid, (ppid, _) in parents.items() if ppid in mine}
    return total + sum(parents[p][1] for p in mine if p != os.getpid() and p in parents)


def _timed(run: Run) -> tuple[float, float]:
    cpu = _cpu()
    wall = run()
    return wall, _cpu() - cpu - _OVERHEAD[0]


# What reading /proc in _cpu() itself costs, taken off every CPU figure.
_OVERHEAD = [0.0]
_OVERHEAD[0] = statistics.median(_timed(lambda: 0.0)[1] for _ in range(9))


class Rsync:
    def __init__(self, sshd: SSHServer, work: Path) -> None:
        self.sshd = sshd
        base = ["ssh", "-p", str(sshd.port), "-i", str(sshd.client_key_path)]
        base += ["-o", f"UserKnownHostsFile={sshd.known_hosts_path}", "-o", "BatchMode=yes"]
        base += ["-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"]
        self.fresh = " ".join(base)
        control = ["-o", "ControlMaster=auto", "-o", f"ControlPath={work}/cm-%p"]
        self.reused = " ".join([*base, *control, "-o", "ControlPersist=300"])

    def sync(self, src: Path, dst: Path, *, reuse: bool = False) -> tuple[float, int]:
        argv = ["rsync", "-a", "--delete", "--stats", "-e", self.reused if reuse else self.fresh]
        argv += [f"{src}/", f"{self.sshd.user}@{self.sshd.host}:{dst}/"]
        started = time.perf_counter()
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        elapsed = time.perf_counter() - started
        sent = int(re.search(r"Total bytes sent: ([\d,]+)", out).group(1).replace(",", ""))  # type: ignore[union-attr]
        got = int(re.search(r"Total bytes received: ([\d,]+)", out).group(1).replace(",", ""))  # type: ignore[union-attr]
        return elapsed, sent + got


def _livepatch(sshd: SSHServer, src: Path, dst: Path, state: Path) -> Syncer:
    options = ConnectOptions(
        agent_command=AGENT,
        known_hosts=str(sshd.known_hosts_path),
        identity=str(sshd.client_key_path),
    )
    url = f"ssh://{sshd.user}@{sshd.host}:{sshd.port}{dst}"
    return Syncer(src, parse_target(url), options, state)


class Samples(dict[str, tuple[list[float], list[float]]]):
    """name -> (wall seconds, CPU seconds) of each repetition."""

    def run(self, name: str, run: Run) -> None:
        wall, cpu = _timed(run)
        walls, cpus = self.setdefault(name, ([], []))
        walls.append(wall)
        cpus.append(cpu)

    def p50(self, name: str) -> tuple[float, float]:
        walls, cpus = self[name]
        return statistics.median(walls), statistics.median(cpus)

    def p95(self, name: str) -> float:
        walls = sorted(self[name][0])
        return walls[max(0, int(len(walls) * 0.95) - 1)]


def _report(name: str, ours: tuple[float, float], theirs: tuple[float, float], note: str) -> None:
    (ow, oc), (tw, tc) = ours, theirs
    scale, unit = (1, "s ") if max(ow, tw) >= 2 else (1000, "ms")
    figures = f"livepatch {ow * scale:8.1f} {unit} (cpu {oc * scale:7.1f})"
    figures += f"  rsync {tw * scale:8.1f} {unit} (cpu {tc * scale:7.1f})"
    print(f"{name:<34} {figures}  x{ow / tw if tw else float('inf'):5.2f}  {note}")


def _fresh_dir(work: Path, name: str) -> Path:
    path = work / name
    path.mkdir()
    os.sync()  # nothing left to write back from an earlier step
    return path


def _initial(sshd: SSHServer, work: Path, rsync: Rsync, src: Path, files: int) -> Syncer:
    samples = Samples()
    wire: dict[str, int] = {}
    for n in range(INITIAL_ROUNDS):
        dst = _fresh_dir(work, f"lp{files}-{n}")

        def ours(dst: Path = dst, n: int = n) -> float:
            # From connecting to closing, as rsync's figure runs from its start to its exit
            # (its ssh connection and remote start-up included).
            started = time.perf_counter()
            with _livepatch(sshd, src, dst, work / f"state{files}-{n}") as syncer:
                result = syncer.sync()
            wire["lp"] = result.bytes_sent + result.bytes_received
            return time.perf_counter() - started

        def theirs(n: int = n) -> float:
            elapsed, wire["rsync"] = rsync.sync(src, _fresh_dir(work, f"rsync{files}-{n}"))
            return elapsed

        # Alternate who goes first: the second of a pair finds a warmer page cache.
        pair = [("lp", ours), ("rsync", theirs)]
        for name, run in pair if n % 2 == 0 else pair[::-1]:
            os.sync()
            samples.run(name, run)
    note = f"median of {INITIAL_ROUNDS}, target <= x1.00"
    _report("initial sync", samples.p50("lp"), samples.p50("rsync"), note)
    print(f"{'initial bytes on the wire':<34} livepatch {wire['lp'] / 1e6:.1f} MB", end="")
    print(f"  rsync {wire['rsync'] / 1e6:.1f} MB")
    # The edits below go to the first round's targets, reusing its client state.
    syncer = _livepatch(sshd, src, work / f"lp{files}-0", work / f"state{files}-0")
    syncer.sync()
    rsync.sync(src, work / f"rsync{files}-0", reuse=True)  # opens the shared connection
    return syncer


class Tree:
    """One benchmark tree, with its livepatch and rsync targets."""

    def __init__(self, sshd: SSHServer, work: Path, rsync: Rsync, files: int, big: int) -> None:
        self.files, self.rsync = files, rsync
        self.src = work / f"src{files}"
        _tree(self.src, files, 5_333 if files <= 5_000 else 533, big)
        mb = sum(f.stat().st_size for f in self.src.rglob("*") if f.is_file()) / 1e6
        print(f"\n### {files} files + {big // 1_000_000} MB binary ({mb:.0f} MB)\n")
        self.dst_r = work / f"rsync{files}-0"
        self.syncer = _initial(sshd, work, rsync, self.src, files)
        self.wire: list[int] = []

    def hinted(self, rel: str) -> float:
        result = self.syncer.sync([rel])
        self.wire.append(result.bytes_sent + result.bytes_received)
        return result.seconds

    def methods(self, rel: str) -> dict[str, Run]:
        return {
            "r_fresh": lambda: self.rsync.sync(self.src, self.dst_r)[0],
            "r_reused": lambda: self.rsync.sync(self.src, self.dst_r, reuse=True)[0],
            "l_hinted": lambda: self.hinted(rel),
            "l_full": lambda: self.syncer.sync().seconds,
        }


def _edits(trees: list[Tree]) -> dict[int, Samples]:
    # Round-robin over both trees and all methods, so every figure sees the same load.
    rel = "pkg7/mod7/file7.py"
    samples = {tree.files: Samples() for tree in trees}
    for i in range(EDITS):
        for tree in trees:
            for name, run in tree.methods(rel).items():
                (tree.src / rel).write_text(f"{name} edit = {i}\n" * 40)
                samples[tree.files].run(name, run)
    for tree in trees:
        _report_edits(tree, samples[tree.files], rel)
    return samples


def _report_edits(tree: Tree, s: Samples, rel: str) -> None:
    edited = tree.src / rel
    edited.write_text("last edit\n" * 40)
    _, r_bytes = tree.rsync.sync(tree.src, tree.dst_r, reuse=True)
    tree.syncer.sync([rel])
    size = edited.stat().st_size
    print(f"\none-file edit, {tree.files} files ({size} B file), medians of {EDITS} edits:")
    _report("  fresh rsync vs path told", s.p50("l_hinted"), s.p50("r_fresh"), "target <= 20 ms")
    _report("  reused rsync vs path told", s.p50("l_hinted"), s.p50("r_reused"), "")
    _report("  reused rsync vs full walk", s.p50("l_full"), s.p50("r_reused"), "")
    print(f"  livepatch p95 path told {s.p95('l_hinted') * 1000:.1f} ms", end="")
    print(f", full walk {s.p95('l_full') * 1000:.1f} ms")
    print(f"  bytes per edit: livepatch {statistics.median(tree.wire):.0f} B", end="")
    print(f"  rsync {r_bytes} B  (target <= {size + 1024} B)")


def _bench_big(tree: Tree) -> None:
    blob, samples = tree.src / "blob.bin", Samples()
    original, wire = blob.read_bytes(), {"lp": [0], "rsync": [0]}

    def ours() -> float:
        result = tree.syncer.sync(["blob.bin"])
        wire["lp"].append(result.bytes_sent + result.bytes_received)
        return result.seconds

    def theirs() -> float:
        elapsed, sent = tree.rsync.sync(tree.src, tree.dst_r, reuse=True)
        wire["rsync"].append(sent)
        return elapsed

    for n in range(BIG_ROUNDS):
        data = bytearray(original)
        rng = random.Random(n)  # a reproducible corpus
        for start in range(0, len(data), len(data) // 10):  # ten scattered 50 KB edits: 1 %
            data[start : start + len(data) // 1000] = rng.randbytes(len(data) // 1000)
        blob.write_bytes(data)
        # A new second for every round: rsync's quick check (size and whole-second mtime)
        # would skip a same-size edit within the second, and so do nothing at all.
        os.utime(blob, (1_700_000_000 + n, 1_700_000_000 + n))
        pair = [("lp", ours), ("rsync", theirs)]
        for name, run in pair if n % 2 == 0 else pair[::-1]:
            os.sync()
            samples.run(name, run)
    print(f"\n1 % of the 50 MB file changed (ten 50 KB edits), medians of {BIG_ROUNDS}:")
    _report("  time", samples.p50("lp"), samples.p50("rsync"), "target <= 200 ms")
    lp, rs = statistics.median(wire["lp"][1:]), statistics.median(wire["rsync"][1:])
    print(f"  bytes on the wire: livepatch {lp / 1000:.1f} KB", end="")
    print(f"  rsync {rs / 1000:.1f} KB  x{lp / rs:.2f} (<= x1.10)")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-livepatch-") as tmp:
        work = Path(tmp)
        with SSHServer(work / "sshd") as sshd:
            rsync = Rsync(sshd, work)
            small = Tree(sshd, work, rsync, 5_000, 50_000_000)
            _bench_big(small)
            large = Tree(sshd, work, rsync, 50_000, 0)
            samples = _edits([small, large])
            ratio = samples[50_000].p50("l_hinted")[0] / samples[5_000].p50("l_hinted")[0]
            cpu = samples[50_000].p50("l_hinted")[1] / samples[5_000].p50("l_hinted")[1]
            print(
                f"\n50,000 vs 5,000 files, warm edit (path told), interleaved: wall x{ratio:.2f}",
                end="",
            )
            print(f", cpu x{cpu:.2f} (target <= x1.50)")
            for tree in (small, large):
                tree.syncer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
