from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.depci import cache as cache_module
from velocity.depci.cache import CACHE_FILE
from velocity.depci.cache import JOURNAL_FILE
from velocity.depci.engine import build_graph

from .conftest import Write
from .conftest import write_tree
from .test_cache import FILES
from .test_cache import age


def fresh(root: Path) -> dict:
    return build_graph(root, use_cache=False).graph.to_json()


def edit(root: Path, rel: str, content: str) -> None:
    (root / rel).write_text(content)
    age(root, rel)


def test_one_file_edit_appends_to_the_journal(tree: Write) -> None:
    root = tree(FILES)
    age(root)
    build_graph(root)
    before = (root / CACHE_FILE).read_bytes()
    edit(root, "pkg/m3.py", "from pkg import m5\nx = 1\n")
    build_graph(root)
    assert (root / CACHE_FILE).read_bytes() == before
    assert (root / JOURNAL_FILE).stat().st_size > 0
    edit(root, "pkg/m1.py", "import pkg.m4\n")
    build_graph(root)
    replayed = build_graph(root)
    assert (replayed.stats.parsed, replayed.stats.hashed, replayed.stats.rebuilt) == (0, 0, None)
    assert replayed.graph.to_json() == fresh(root)


def test_unchanged_run_writes_nothing(tree: Write) -> None:
    root = tree(FILES)
    age(root)
    build_graph(root)
    edit(root, "pkg/m3.py", "x = 1\n")
    build_graph(root)
    size = (root / JOURNAL_FILE).stat().st_size
    build_graph(root)
    assert (root / JOURNAL_FILE).stat().st_size == size


def test_a_deleted_file_is_dropped_through_the_journal(tree: Write) -> None:
    root = tree(FILES)
    age(root)
    build_graph(root)
    (root / "pkg/m0.py").unlink()
    assert build_graph(root).graph.to_json() == fresh(root)
    again = build_graph(root)
    assert "pkg/m0.py" not in again.graph.forward
    assert again.graph.to_json() == fresh(root)


def test_a_big_journal_is_folded_into_the_cache_file(
    tree: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tree(FILES)
    age(root)
    build_graph(root)
    monkeypatch.setattr(cache_module, "_SMALLEST_JOURNAL", 0)
    sizes = []
    for i in range(8):
        edit(root, f"pkg/m{i % 5}.py", f"x = {i}\n")
        folded = build_graph(root)
        sizes.append((root / JOURNAL_FILE).stat().st_size if (root / JOURNAL_FILE).exists() else 0)
    assert 0 in sizes[1:]
    assert max(sizes) > 0
    assert folded.graph.to_json() == fresh(root)
    assert build_graph(root).stats.parsed == 0


def _journal_after_two_edits(root: Path) -> Path:
    age(root)
    build_graph(root)
    edit(root, "pkg/m3.py", "from pkg import m5\nx = 1\n")
    build_graph(root)
    edit(root, "pkg/m1.py", "import pkg.m4\n")
    build_graph(root)
    return root / JOURNAL_FILE


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:-3])


def _flip(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x40
    p.write_bytes(bytes(data))


def _garbage_tail(p: Path) -> None:
    p.write_bytes(p.read_bytes() + b"\x05\x00\x00\x00\x00\x00\x00\x00junk")


def _records(p: Path) -> list[bytes]:
    data, out = p.read_bytes(), []
    while data:
        size = int.from_bytes(data[:8], "little") + 24
        out.append(data[:size])
        data = data[size:]
    return out


def _swapped(p: Path) -> None:
    first, second = _records(p)
    p.write_bytes(second + first)


def _first_dropped(p: Path) -> None:
    p.write_bytes(b"".join(_records(p)[1:]))


@pytest.mark.parametrize("corrupt", [_truncate, _flip, _garbage_tail, _swapped, _first_dropped])
def test_corrupt_journal_is_detected_and_rebuilt(tree: Write, corrupt) -> None:
    root = tree(FILES)
    corrupt(_journal_after_two_edits(root))
    rebuilt = build_graph(root)
    assert rebuilt.stats.rebuilt is not None
    assert rebuilt.stats.parsed == 9
    assert rebuilt.graph.to_json() == fresh(root)
    healed = build_graph(root)
    assert (healed.stats.rebuilt, healed.stats.parsed) == (None, 0)


def test_journal_of_another_cache_file_is_not_trusted(tree: Write, tmp_path: Path) -> None:
    root = tree(FILES)
    journal = _journal_after_two_edits(root).read_bytes()
    other = write_tree(tmp_path / "other", FILES)
    _journal_after_two_edits(other)
    (other / JOURNAL_FILE).write_bytes(journal)
    assert build_graph(other).stats.rebuilt is not None


def test_two_runs_from_the_same_state_break_the_chain(tree: Write) -> None:
    # Both runs load the same state and append: the second record must not be applied.
    root = tree(FILES)
    age(root)
    build_graph(root)
    journal = root / JOURNAL_FILE
    edit(root, "pkg/m3.py", "x = 3\n")
    build_graph(root)
    first = journal.read_bytes()
    journal.unlink()
    edit(root, "pkg/m3.py", "from pkg import m0\n")
    build_graph(root)
    journal.write_bytes(first + journal.read_bytes())
    again = build_graph(root)
    assert again.stats.rebuilt is not None
    assert again.graph.to_json() == fresh(root)


PY_FILES = sorted(p for p in FILES if p.endswith(".py"))
CONTENTS = ["", "x = 1\n", "from pkg import m5\n", "import pkg.m2\n", "from . import m4\n"]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(PY_FILES), st.sampled_from(CONTENTS), st.booleans())))
def test_any_journal_prefix_gives_a_fresh_graph(tmp_path: Path, steps) -> None:
    # Dropping the journal (a crash while folding it) leaves an older, still valid state.
    root = write_tree(tmp_path / f"r{len(list(tmp_path.iterdir()))}", FILES)
    build_graph(root)
    for path, content, drop in steps:
        (root / path).write_text(content + f"# {len(content)}\n")
        if drop and (root / JOURNAL_FILE).exists():
            os.unlink(root / JOURNAL_FILE)
        assert build_graph(root).graph.to_json() == fresh(root)
    assert build_graph(root).graph.to_json() == fresh(root)
