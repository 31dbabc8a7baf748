from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.client._encode import Encoder
from velocity.livepatch.client._plan import apply_plan
from velocity.livepatch.client._plan import make_plan
from velocity.livepatch.client._scan import HashCache
from velocity.livepatch.client._scan import RecentReads
from velocity.livepatch.client._scan import load_ignore
from velocity.livepatch.client._scan import scan
from velocity.livepatch.client._scan import unchanged_since_scan
from velocity.livepatch.codec import decompress
from velocity.livepatch.proto import pb


def info(path, sha=b"1", mode=0o644, target="", link=False):
    return FileInfo(path, sha * 32, mode, 1, target, link)


def never(path):
    return False


def test_plan_covers_every_kind_of_change():
    remote = {
        p.path: p for p in [info("same"), info("edit"), info("mode"), info("old"), info("ln")]
    }
    local = {
        p.path: p
        for p in [
            info("same"),
            info("edit", b"2"),
            info("mode", mode=0o755),
            info("new", b"3"),
            info("ln", target="same", link=True),
        ]
    }
    plan = make_plan(local, remote, never)
    assert [f.path for f in plan.puts] == ["edit", "new"]
    assert [f.path for f in plan.chmods] == ["mode"]
    assert [f.path for f in plan.links] == ["ln"]
    assert plan.deletes == ["old"]
    assert apply_plan(remote, plan) == local


def test_rename_becomes_a_copy():
    plan = make_plan({"b": info("b", b"9")}, {"a": info("a", b"9")}, never)
    assert plan.copies == {"b": "a"}
    assert plan.deletes == ["a"]


def test_links_out_of_the_tree_are_skipped():
    local = {"l": info("l", target="../../etc/passwd", link=True)}
    plan = make_plan(local, {}, never)
    assert plan.skipped == ["l"]
    assert not len(plan)


def test_ignored_remote_files_are_not_deleted():
    plan = make_plan(
        {},
        {"cache.pyc": info("cache.pyc"), "gone.py": info("gone.py")},
        lambda p: p.endswith(".pyc"),
    )
    assert plan.deletes == ["gone.py"]


def test_ignore_files_are_honoured(tmp_path: Path):
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp_path / ".dockerignore").write_text("secrets.env\n")
    (tmp_path / ".livepatchignore").write_text("node_modules/\n!keep.log\n")
    for name in [
        "a.py",
        "x.log",
        "keep.log",
        "secrets.env",
        "build/out",
        "node_modules/m.js",
        ".git/HEAD",
        "src/b.py",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    tree = scan(tmp_path, load_ignore(tmp_path))
    assert sorted(tree) == [
        ".dockerignore",
        ".gitignore",
        ".livepatchignore",
        "a.py",
        "keep.log",
        "src/b.py",
    ]


def test_same_size_edit_with_the_same_mtime_is_seen(tmp_path: Path):
    path = tmp_path / "f.py"
    path.write_bytes(b"value = 1\n")
    cache = HashCache()
    first = scan(tmp_path, never, cache)["f.py"]
    stamp = path.stat().st_mtime_ns
    time.sleep(0.01)
    path.write_bytes(b"value = 2\n")
    os.utime(path, ns=(stamp, stamp))  # size and mtime exactly as before
    second = scan(tmp_path, never, cache)["f.py"]
    assert second.sha256 != first.sha256


def test_hash_cache_avoids_rehashing(tmp_path: Path, monkeypatch):
    (tmp_path / "f").write_bytes(b"x" * 100)
    cache = HashCache()
    scan(tmp_path, never, cache)
    monkeypatch.setattr(
        "velocity.livepatch.client._scan._hash", lambda *a: (_ for _ in ()).throw(AssertionError)
    )
    assert scan(tmp_path, never, cache)["f"].size == 100


def _encode(src: Path, cache: HashCache, tree) -> dict[str, pb.Change]:
    plan = make_plan(tree, {}, never)
    unchanged = lambda path, st: unchanged_since_scan(src, path, cache, st)  # noqa: E731
    encoder = Encoder(plan, src, {}, lambda refs: [], unchanged, cache.recent)
    return {c.path: c for c in encoder.changes()}


def test_the_encoder_sends_the_bytes_the_scan_read(tmp_path: Path, monkeypatch):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_bytes(name.encode() * 1000)
    cache = HashCache()
    tree = scan(tmp_path, never, cache)
    reread = lambda *a: (_ for _ in ()).throw(AssertionError)  # noqa: E731
    monkeypatch.setattr("velocity.livepatch.client._encode.read_whole", reread)
    changes = _encode(tmp_path, cache, tree)
    for name in ("a.py", "b.py"):
        content = decompress(changes[name].whole.zstd, 10_000)
        assert content == name.encode() * 1000
        assert changes[name].sha256 == hashlib.sha256(content).digest() == tree[name].sha256
    assert cache.recent.take("a.py") is None  # taken once


def test_a_file_edited_after_the_scan_is_read_again(tmp_path: Path):
    path = tmp_path / "a.py"
    path.write_bytes(b"before\n")
    cache = HashCache()
    tree = scan(tmp_path, never, cache)
    time.sleep(0.01)  # past the clock tick of the first write
    path.write_bytes(b"after!\n")  # same size; its ctime moves
    change = _encode(tmp_path, cache, tree)["a.py"]
    assert decompress(change.whole.zstd, 100) == b"after!\n"
    assert change.sha256 == hashlib.sha256(b"after!\n").digest() != tree["a.py"].sha256


def test_recent_reads_are_bounded(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(RecentReads, "LIMIT", 1500)
    for name in ("a", "b", "c"):
        (tmp_path / name).write_bytes(name.encode() * 1000)
    cache = HashCache()
    tree = scan(tmp_path, never, cache)
    kept = [n for n in "abc" if cache.recent.take(n) is not None]
    assert len(kept) == 1  # 1,000 bytes fit, 2,000 do not
    assert all(tree[n].sha256 == hashlib.sha256(n.encode() * 1000).digest() for n in "abc")


def test_directory_symlinks_are_synced_as_links(tmp_path: Path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real/f").write_text("f")
    (tmp_path / "alias").symlink_to("real")
    tree = scan(tmp_path, never)
    assert tree["alias"].is_link
    assert tree["alias"].target == "real"
    assert "alias/f" not in tree
