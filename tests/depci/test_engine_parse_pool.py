from __future__ import annotations

import pytest

from velocity.depci import parse
from velocity.depci.engine import build_graph
from velocity.depci.model import ParsedFile

from .conftest import Write

FILES = {f"pkg/m{i}.py": f"from pkg import m{i + 1}\nimport os\n" for i in range(40)}
FILES |= {"pkg/__init__.py": "", "pkg/m40.py": "x = (\n", "web/a.ts": 'import "./b";\n'}
FILES |= {"web/b.ts": "export const b = 1;\n", "tests/test_m.py": "from pkg.m3 import x\n"}


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(parse, "_CHUNK", 5)
    monkeypatch.setattr(parse, "_cpus", lambda: 2)


def _serial(root) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parse, "POOL_THRESHOLD", 10**9)
        return build_graph(root, use_cache=False).graph.to_json()


def test_pool_gives_the_serial_graph_and_errors(tree: Write, pooled: None) -> None:
    root = tree(FILES)
    pooled_run = build_graph(root, use_cache=False)
    assert pooled_run.graph.to_json() == _serial(root)
    assert pooled_run.errors == {}  # quick passes report no errors
    strict = build_graph(root, use_cache=False, check=list(FILES))
    assert set(strict.errors) == {"pkg/m40.py"}


def test_pool_results_go_to_the_cache(tree: Write, pooled: None) -> None:
    root = tree(FILES)
    cold = build_graph(root)
    assert cold.stats.parsed == len(FILES)
    warm = build_graph(root)
    assert (warm.stats.parsed, warm.stats.reused) == (0, len(FILES))
    assert warm.graph.to_json() == cold.graph.to_json() == _serial(root)


def test_broken_pool_falls_back_to_parsing_here(
    tree: Write, pooled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(chunks: object, workers: int, here: object) -> list[ParsedFile]:
        raise OSError("no fork here")

    monkeypatch.setattr(parse, "_in_pool", broken)
    root = tree(FILES)
    assert build_graph(root, use_cache=False).graph.to_json() == _serial(root)


def test_no_pool_in_a_process_running_threads(
    tree: Write, pooled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unexpected(chunks: object, workers: int, here: object) -> list[ParsedFile]:
        raise AssertionError("a pool was started")

    monkeypatch.setattr(parse, "_in_pool", unexpected)
    monkeypatch.setattr(parse.threading, "active_count", lambda: 2)
    root = tree(FILES)
    assert build_graph(root, use_cache=False).graph.to_json() == _serial(root)


def test_cpus_is_at_least_one() -> None:
    assert parse._cpus() >= 1


def test_a_failing_worker_falls_back_to_parsing_here(
    tree: Write, pooled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    parent = os.getpid()
    real = parse._encode_chunk

    def dies_in_the_child(jobs: object) -> object:
        if os.getpid() != parent:
            raise MemoryError
        return real(jobs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse, "_encode_chunk", dies_in_the_child)
    root = tree(FILES)
    assert build_graph(root, use_cache=False).graph.to_json() == _serial(root)
