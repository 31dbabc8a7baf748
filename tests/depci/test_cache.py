from __future__ import annotations

import hashlib
import json
import marshal
import os
import time
from pathlib import Path

import pytest

from velocity.depci.cache import CACHE_FILE
from velocity.depci.engine import build_graph

from .conftest import Write

FILES = {f"pkg/m{i}.py": f"from pkg import m{i + 1}\n" for i in range(5)}
FILES |= {
    "pkg/__init__.py": "# init\n",
    "pkg/m5.py": "x = 5\n",
    "web/a.ts": 'import "./b";\n',
    "web/b.ts": "",
}


def age(root: Path, *only: str) -> None:
    """Back-date files, as if edited a minute ago (so not "racily clean")."""
    past = time.time_ns() - 60 * 1_000_000_000
    paths = [root / p for p in only] if only else root.rglob("*")
    for path in paths:
        if path.is_file() and ".velocity" not in path.parts:
            os.utime(path, ns=(past, past))


def test_cold_then_warm_then_one_edit(tree: Write) -> None:
    root = tree(FILES)
    age(root)
    cold = build_graph(root)
    assert (cold.stats.parsed, cold.stats.reused) == (9, 0)
    assert (root / CACHE_FILE).is_file()
    assert (root / ".velocity/.gitignore").read_text() == "*\n"
    warm = build_graph(root)
    assert (warm.stats.parsed, warm.stats.reused, warm.stats.hashed) == (0, 9, 0)
    assert warm.graph.to_json() == cold.graph.to_json()
    (root / "pkg/m3.py").write_text("from pkg import m5\nx = 1\n")
    age(root, "pkg/m3.py")
    edited = build_graph(root)
    assert (edited.stats.parsed, edited.stats.reused, edited.stats.hashed) == (1, 8, 1)
    assert "pkg/m5.py" in edited.graph.forward["pkg/m3.py"]


def test_touch_without_content_change_rehashes_but_does_not_parse(tree: Write) -> None:
    root = tree(FILES)
    age(root)
    build_graph(root)
    st = (root / "pkg/m1.py").stat()
    os.utime(root / "pkg/m1.py", ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    again = build_graph(root)
    assert (again.stats.parsed, again.stats.hashed) == (0, 1)


def test_racily_clean_file_is_hashed_again(tree: Write) -> None:
    root = tree(FILES)
    build_graph(root)
    target = root / "pkg/m5.py"
    st = target.stat()
    target.write_text("y = 5\n")  # same size, and the same mtime tick
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = build_graph(root)
    assert again.stats.parsed == 1
    assert again.parsed["pkg/m5.py"].local_names == frozenset({"y"})


def test_same_content_in_two_files_parses_once(tree: Write) -> None:
    root = tree({"a.py": "import b\n", "c/a.py": "import b\n", "b.py": ""})
    assert build_graph(root).stats.parsed == 2


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _garbage(p: Path) -> None:
    p.write_bytes(b"\x00\xffnot json at all\n\x01")


def _split(p: Path) -> tuple[dict, bytes]:
    head, body = p.read_bytes().split(b"\n", 1)
    return json.loads(head), body


def _join(p: Path, meta: dict, body: bytes) -> None:
    p.write_bytes(json.dumps(meta).encode() + b"\n" + body)


def _other_version(p: Path) -> None:
    meta, body = _split(p)
    meta["version"] = 999
    _join(p, meta, body)


def _other_python(p: Path) -> None:
    meta, body = _split(p)
    meta["python"] = [2, 7]
    _join(p, meta, body)


def _tampered_body(p: Path) -> None:
    meta, body = _split(p)
    _join(p, meta, body.replace(b"pkg", b"pkh"))


def _valid_checksum_bad_entry(p: Path) -> None:
    meta, body = _split(p)
    data = marshal.loads(body)  # noqa: S302 - our own cache file
    data["graph"] = None  # so that resolution has to read the entry
    first = next(iter(data["entries"]))
    bogus = [["x", "bogus-style", 1, 0, [], False]]
    entry = {"i": bogus, "b": {}, "l": [], "s": 0, "e": None, "c": True}
    data["entries"][first] = [None, marshal.dumps(entry)]
    raw = marshal.dumps(data)
    meta["checksum"] = hashlib.blake2b(raw, digest_size=16).hexdigest()
    _join(p, meta, raw)


def _empty(p: Path) -> None:
    p.write_bytes(b"")


@pytest.mark.parametrize(
    "corrupt",
    [
        _truncate,
        _garbage,
        _other_version,
        _other_python,
        _tampered_body,
        _valid_checksum_bad_entry,
        _empty,
    ],
)
def test_corrupt_cache_is_detected_and_rebuilt(tree: Write, corrupt) -> None:
    root = tree(FILES)
    cold = build_graph(root)
    corrupt(root / CACHE_FILE)
    rebuilt = build_graph(root)
    assert rebuilt.stats.rebuilt is not None
    # A bad file is dropped whole; a bad entry in a good file is dropped alone.
    assert rebuilt.stats.parsed == (1 if corrupt is _valid_checksum_bad_entry else 9)
    assert rebuilt.graph.to_json() == cold.graph.to_json()
    healed = build_graph(root)
    assert (healed.stats.rebuilt, healed.stats.parsed) == (None, 0)


def test_no_cache_mode_writes_nothing(tree: Write) -> None:
    root = tree(FILES)
    build_graph(root, use_cache=False)
    assert not (root / ".velocity").exists()
