"""livepatch over SSH against rsync over the same loopback sshd (velocity.testing.SSHServer).

Tree from issue #5: 5,000 small files (~20 MB) plus one 50 MB binary. Figures, all from
this run on this machine: initial sync; a one-file edit (rsync with a fresh and with a
reused connection; livepatch warm, both told the path as a watcher would and with a full
walk); 1 % of the 50 MB file changed; the warm edit on a 50,000-file tree against the
5,000-file one. Targets: edit <= 20 ms p50 and <= file size + 1 KB on the wire;
1 % of 50 MB <= 1.1x rsync's bytes and <= 200 ms; initial no slower than rsync;
50,000 files within 1.5x of 5,000.
"""

from __future__ import annotations

import os
import random
import re
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

EDITS = 30
AGENT = f"{sys.executable} -m velocity.livepatch.agent"


def _tree(root: Path, files: int, size: int, big: int) -> None:
    rng = random.Random(files)  # noqa: S311 - a reproducible corpus, not a secret
    for i in range(files):
        path = root / f"pkg{i % 40}/mod{i % 9}/file{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size // 2).hex().encode()[: rng.randint(size // 2, size)])
    if big:
        (root / "blob.bin").write_bytes(os.urandom(big))


class Rsync:
    def __init__(self, sshd: SSHServer, work: Path) -> None:
        self.sshd = sshd
        base = ["ssh", "-p", str(sshd.port), "-i", str(sshd.client_key_path)]
        base += ["-o", f"UserKnownHostsFile={sshd.known_hosts_path}", "-o", "BatchMode=yes"]
        base += ["-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"]
        self.fresh = " ".join(base)
        control = ["-o", "ControlMaster=auto", "-o", f"ControlPath={work}/cm-%p"]
        self.reused = " ".join([*base, *control, "-o", "ControlPersist=120"])

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


def _interleaved(path: Path, methods: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    # Round-robin, so that every method sees the same (shared, noisy) disk and CPU.
    times: dict[str, list[float]] = {name: [] for name in methods}
    for i in range(EDITS):
        for name, run in methods.items():
            path.write_text(f"{name} edit = {i}\n" * 40)
            times[name].append(run())
    return times


def _p50(times: list[float]) -> float:
    return statistics.median(times) * 1000


def _p95(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1] * 1000


def _report(name: str, ours: float, theirs: float, unit: str = "ms", target: str = "") -> None:
    ratio = ours / theirs if theirs else float("inf")
    figures = f"livepatch {ours:9.1f} {unit}  rsync {theirs:9.1f} {unit}  x{ratio:5.2f}"
    print(f"{name:<44} {figures}  {target}")


def _bench_tree(
    sshd: SSHServer, work: Path, rsync: Rsync, files: int, size: int, big: int
) -> float:
    src, dst_r, dst_l = work / f"src{files}", work / f"rsync{files}", work / f"lp{files}"
    for d in (dst_r, dst_l):
        d.mkdir()
    _tree(src, files, size, big)
    mb = sum(f.stat().st_size for f in src.rglob("*") if f.is_file()) / 1e6
    print(f"\n### {files} files + {big // 1_000_000} MB binary ({mb:.0f} MB)\n")
    os.sync()  # both start with nothing left to write back from building the tree
    r_initial, r_bytes = rsync.sync(src, dst_r)
    os.sync()
    started = time.perf_counter()
    syncer = _livepatch(sshd, src, dst_l, work / f"state{files}")
    first = syncer.sync()
    l_initial = time.perf_counter() - started
    # A second round in the other order into fresh directories; the better of two counts.
    (work / f"again-lp{files}").mkdir()
    (work / f"again-rsync{files}").mkdir()
    os.sync()
    started = time.perf_counter()
    with _livepatch(sshd, src, work / f"again-lp{files}", work / f"again{files}") as again:
        again.sync()
    l_initial = min(l_initial, time.perf_counter() - started)
    os.sync()
    r_initial = min(r_initial, rsync.sync(src, work / f"again-rsync{files}")[0])
    _report("initial sync (s, best of 2)", l_initial, r_initial, "s ", "target <= x1.00")
    _report(
        "initial bytes on the wire (MB)",
        (first.bytes_sent + first.bytes_received) / 1e6,
        r_bytes / 1e6,
        "MB",
    )
    edited = src / "pkg7/mod7/file7.py"
    rel = "pkg7/mod7/file7.py"
    rsync.sync(src, dst_r, reuse=True)  # opens the shared connection
    wire: list[int] = []

    def hinted() -> float:
        result = syncer.sync([rel])
        wire.append(result.bytes_sent + result.bytes_received)
        return result.seconds

    times = _interleaved(
        edited,
        {
            "r_fresh": lambda: rsync.sync(src, dst_r)[0],
            "r_reused": lambda: rsync.sync(src, dst_r, reuse=True)[0],
            "l_hinted": hinted,
            "l_full": lambda: syncer.sync().seconds,
        },
    )
    r_fresh, r_reused, l_hinted, l_full = (
        times[k] for k in ("r_fresh", "r_reused", "l_hinted", "l_full")
    )
    edited.write_text("last edit\n" * 40)
    _, r_edit_bytes = rsync.sync(src, dst_r, reuse=True)
    size = edited.stat().st_size
    print(f"one-file edit ({size} B file), p50 / p95 over {EDITS} edits:")
    _report(
        "  rsync fresh ssh vs livepatch warm, path told",
        _p50(l_hinted),
        _p50(r_fresh),
        target="target <= 20 ms",
    )
    _report("  rsync reused ssh vs livepatch warm, path told", _p50(l_hinted), _p50(r_reused))
    _report("  rsync reused ssh vs livepatch warm, full walk", _p50(l_full), _p50(r_reused))
    print(f"  livepatch p95 path told {_p95(l_hinted):.1f} ms, full walk {_p95(l_full):.1f} ms")
    _report(
        "  bytes on the wire per edit (B)",
        statistics.median(wire),
        r_edit_bytes,
        "B ",
        f"target <= {size + 1024} B",
    )
    if big:
        _bench_big(src / "blob.bin", src, dst_r, rsync, syncer)
    syncer.close()
    return _p50(l_hinted)


def _bench_big(blob: Path, src: Path, dst_r: Path, rsync: Rsync, syncer: Syncer) -> None:
    data = bytearray(blob.read_bytes())
    rng = random.Random(7)  # noqa: S311 - a reproducible corpus, not a secret
    for start in range(0, len(data), len(data) // 10):  # ten scattered 50 KB edits: 1 %
        data[start : start + len(data) // 1000] = rng.randbytes(len(data) // 1000)
    blob.write_bytes(data)
    os.sync()
    r_time, r_bytes = rsync.sync(src, dst_r, reuse=True)
    os.sync()
    result = syncer.sync(["blob.bin"])
    print("1 % of the 50 MB file changed (ten 50 KB edits):")
    _report("  time (ms)", result.seconds * 1000, r_time * 1000, target="target <= 200 ms")
    ours = result.bytes_sent + result.bytes_received
    _report("  bytes on the wire (KB)", ours / 1000, r_bytes / 1000, "KB", "target <= x1.10")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-livepatch-") as tmp:
        work = Path(tmp)
        with SSHServer(work / "sshd") as sshd:
            rsync = Rsync(sshd, work)
            small = _bench_tree(sshd, work, rsync, 5_000, 5_333, 50_000_000)
            large = _bench_tree(sshd, work, rsync, 50_000, 533, 0)
            print(f"\n50,000 vs 5,000 files, warm edit p50: x{large / small:.2f} (target <= x1.50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
