"""Cost of secret scrubbing per log line.

Anchor: the same structlog JSON pipeline with the scrubber off (the price of
logging at all). Lines are a realistic mix: most carry no secret, some carry a
token, a URL with credentials or a secret-named field.
"""

from __future__ import annotations

import io
import logging
import random
import string
import time

from velocity.core.log import configure
from velocity.core.log import get_logger
from velocity.core.log import scrub_text

LINES = 20_000


def _token(prefix: str, n: int, rng: random.Random) -> str:
    return prefix + "".join(rng.choices(string.ascii_letters + string.digits, k=n))


def _events(rng: random.Random) -> list[tuple[str, dict[str, object]]]:
    events: list[tuple[str, dict[str, object]]] = []
    for i in range(LINES):
        kind = i % 10
        if kind == 0:
            events.append(("push", {"token": _token("ghp_", 36, rng)}))
        elif kind == 1:
            url = f"https://ci:{_token('', 20, rng)}@git.example.test/repo.git"
            events.append((f"cloning {url}", {}))
        elif kind == 2:
            events.append(
                ("request", {"headers": {"Authorization": "Bearer " + _token("", 40, rng)}})
            )
        else:
            events.append(("file synced", {"path": f"src/app/module_{i}.py", "bytes": i * 7}))
    return events


def _run(events: list[tuple[str, dict[str, object]]], scrub: bool) -> float:
    configure(level="INFO", fmt="json", stream=io.StringIO(), scrub=scrub)
    log = get_logger("bench")
    started = time.perf_counter()
    for message, fields in events:
        log.info(message, **fields)
    return time.perf_counter() - started


def main() -> int:
    events = _events(random.Random(7))
    _run(events[:1000], scrub=True)  # warm caches and compiled patterns
    anchor = min(_run(events, scrub=False) for _ in range(3))
    ours = min(_run(events, scrub=True) for _ in range(3))
    text = " ".join(m for m, _ in events)
    started = time.perf_counter()
    scrub_text(text)
    bulk = time.perf_counter() - started
    per = 1e6 / LINES
    print(f"{LINES} log lines, JSON renderer, best of 3")
    print(f"  structlog, scrubber off (anchor): {anchor * per:7.1f} us/line")
    print(f"  structlog, scrubber on          : {ours * per:7.1f} us/line")
    print(f"  ratio scrubbed/anchor           : {ours / anchor:7.2f}x")
    print(
        f"  scrub_text on {len(text) / 1e6:.1f} MB of log text: {len(text) / bulk / 1e6:.1f} MB/s"
    )
    logging.getLogger().handlers.clear()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
