"""Run every benchmark in bench/ (``make bench``).

Each ``bench_*.py`` module exposes ``main() -> int`` and prints its own figures,
always next to its anchor (the tool we compare against) run in the same process
and on the same machine, as a ratio. Keep the latest figures in bench/RESULTS.md.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    wanted = set(argv)
    status = 0
    for path in sorted(here.glob("bench_*.py")):
        if wanted and path.stem.removeprefix("bench_") not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"\n## {path.stem}\n", flush=True)
        started = time.perf_counter()
        status |= int(module.main())
        print(f"({path.stem}: {time.perf_counter() - started:.1f} s)", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
