"""github_app: 200 signed webhook deliveries a second for 30 s on loopback.

The app runs as deployed (`quantum serve`, uvicorn, its own process, SQLite ledger) against the
GitHub double. Load is open-loop: a delivery leaves every 5 ms whether or not earlier ones were
answered, so a slow server shows up as latency instead of as a slower sender. Every delivery
is signed like GitHub's and has a fresh X-GitHub-Delivery id; one in ten is a redelivery of an
earlier id (answered 200, never processed twice).

Anchor: a bare Starlette app that only checks the HMAC signature and answers 202 — the least
any webhook receiver can do — under the same load, in the same run.
Targets from issue #8: p99 < 100 ms and 0 errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from velocity.testing import free_port
from velocity.testing.github import GitHubDouble
from velocity.testing.github import sign

RATE = 200  # deliveries per second
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
OWNER, REPO = "velocity", "bench"

_ANCHOR = """
import hashlib, hmac, sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

SECRET = sys.argv[2].encode()

async def webhook(request):
    body = await request.body()
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    given = request.headers.get("x-hub-signature-256", "")
    return Response(status_code=202 if hmac.compare_digest(expected, given) else 401)

async def healthz(request):
    return Response("ok")

app = Starlette(routes=[Route("/webhook", webhook, methods=["POST"]), Route("/healthz", healthz)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


@contextlib.contextmanager
def _serve(argv: list[str], env: dict[str, str], cwd: Path, port: int) -> Iterator[str]:
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/healthz")
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{argv[0]} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


class _Conn:
    # A raw HTTP/1.1 keep-alive connection: the sender must cost far less than the server,
    # or the benchmark measures the client (httpx costs ~1 ms of CPU a request).
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, body: bytes) -> int:
        self.writer.write(head + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


async def _load(port: int, secret: str, bodies: list[tuple[str, bytes]]) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    ids: list[str] = []
    pool: asyncio.Queue[_Conn] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(_Conn(*await asyncio.open_connection("127.0.0.1", port)))

    async def one(event: str, body: bytes, delivery: str) -> None:
        nonlocal errors
        head = (
            f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-GitHub-Event: {event}\r\nX-GitHub-Delivery: {delivery}\r\n"
            f"X-Hub-Signature-256: {sign(secret, body)}\r\n"
            "User-Agent: GitHub-Hookshot/bench\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        conn = await pool.get()
        try:
            if await conn.post(head, body) not in (200, 202):
                errors += 1
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            errors += 1
            conn = _Conn(*await asyncio.open_connection("127.0.0.1", port))
        pool.put_nowait(conn)
        latencies.append(time.perf_counter() - started)

    tasks = []
    start = time.perf_counter()
    total = int(RATE * SECONDS)
    for i in range(total):
        await asyncio.sleep(max(0.0, start + i / RATE - time.perf_counter()))
        event, body = bodies[i % len(bodies)]
        redelivery = i % 10 == 9 and ids
        delivery = ids[(i * 7) % len(ids)] if redelivery else str(uuid.uuid4())
        ids.append(delivery)
        tasks.append(asyncio.create_task(one(event, body, delivery)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().writer.close()
    latencies.sort()
    return {
        "sent": total,
        "rate": total / elapsed,
        "errors": errors,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "max": latencies[-1] * 1000,
    }


def _bodies(double: GitHubDouble) -> list[tuple[str, bytes]]:
    events = [("ping", None), ("installation", "created"), ("check_suite", "completed")]
    out = []
    for event, action in events:
        delivery = double.emit_example(event, action, OWNER, REPO)
        out.append((event, json.dumps(delivery.payload).encode()))
    double.webhooks.pending.clear()
    return out


def _report(name: str, row: dict[str, float]) -> None:
    print(
        f"{name:<34} {row['sent']:>6.0f} {row['rate']:>7.1f}/s {row['errors']:>6.0f}"
        f" {row['p50']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f}"
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-github-app-") as tmp:
        work = Path(tmp)
        with GitHubDouble(work / "github") as double:
            double.add_repo(OWNER, REPO)
            bodies = _bodies(double)
            secret = double.webhook_secret
            assert secret is not None
            env = {k: v for k, v in os.environ.items() if not k.startswith("VELOCITY_")}
            env.update(
                VELOCITY_GITHUB__WEBHOOK_SECRET=secret,
                VELOCITY_GITHUB__APP_ID=str(double.app_id),
                VELOCITY_GITHUB__PRIVATE_KEY=double.private_key_pem,
                VELOCITY_GITHUB__API_URL=double.base_url,
                VELOCITY_LOG__LEVEL="WARNING",
            )
            print(f"{RATE} signed deliveries/s for {SECONDS:.0f} s, open loop, loopback")
            print(
                f"{'server':<34} {'sent':>6} {'rate':>9} {'errors':>6}"
                f" {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
            )
            port = free_port()
            anchor = [sys.executable, "-c", _ANCHOR, str(port), secret]
            with _serve(anchor, env, work, port):
                base = asyncio.run(_load(port, secret, bodies))
            _report("anchor: HMAC check + 202", base)
            port = free_port()
            quantum = str(Path(sys.executable).with_name("quantum"))
            with _serve([quantum, "serve", "--port", str(port)], env, work, port):
                ours = asyncio.run(_load(port, secret, bodies))
            _report("quantum serve (SQLite ledger)", ours)
    print(
        f"p99 ours/anchor: {ours['p99'] / base['p99']:.2f}x;"
        f" target p99 < 100 ms: {'met' if ours['p99'] < 100 else 'NOT met'},"
        f" errors: {ours['errors']:.0f} (target 0)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
