from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from velocity.livepatch.agent import Chmod
from velocity.livepatch.agent import Delete
from velocity.livepatch.agent import Engine
from velocity.livepatch.agent import PathError
from velocity.livepatch.agent import Put
from velocity.livepatch.agent import Symlink
from velocity.livepatch.agent import _batch
from velocity.livepatch.agent import _paths
from velocity.livepatch.agent._ops import ConflictError
from velocity.livepatch.agent._ops import Patch
from velocity.livepatch.agent._paths import DirCache


def test_put_creates_parents_and_replaces(root: Path, snapshot) -> None:
    with Engine(root) as engine:
        engine.apply([Put("a/b/c.txt", b"one", 0o640)])
        assert (root / "a/b/c.txt").read_bytes() == b"one"
        assert (root / "a/b/c.txt").stat().st_mode & 0o777 == 0o640
        engine.apply([Put("a/b/c.txt", b"two")])
        assert (root / "a/b/c.txt").read_bytes() == b"two"
        assert engine.read("a/b/c.txt") == b"two"


def test_no_temp_or_backup_files_are_left(root: Path, snapshot) -> None:
    (root / "old").write_bytes(b"x")
    with Engine(root) as engine:
        engine.apply([Put("old", b"y"), Put("new", b"z"), Delete("gone")])
    assert sorted(snapshot(root)) == ["new", "old"]
    assert sorted(os.listdir(root / ".livepatch-agent")) == ["lock", "token"]


def test_delete_symlink_chmod(root: Path, snapshot) -> None:
    (root / "f").write_bytes(b"data")
    (root / "g").write_bytes(b"data")
    with Engine(root) as engine:
        engine.apply([Delete("f"), Symlink("sub/link", "../g"), Chmod("g", 0o600)])
    assert not (root / "f").exists()
    assert os.readlink(root / "sub/link") == "../g"
    assert (root / "g").stat().st_mode & 0o777 == 0o600
    assert (root / "g").read_bytes() == b"data"


def test_token_changes_with_every_batch(root: Path, snapshot) -> None:
    with Engine(root) as engine:
        first = engine.token
        assert engine.token == first
        second = engine.apply([Put("x", b"1")])
        assert second != first
        assert engine.token == second


def test_failure_during_commit_rolls_back_everything(root: Path, snapshot) -> None:
    (root / "keep.txt").write_bytes(b"old")
    (root / "drop.txt").write_bytes(b"old drop")
    before = snapshot(root)

    def explode(step: str) -> None:
        if step == "commit:2":
            raise OSError("disk on fire")

    with Engine(root, on_step=explode) as engine:
        ops = [Put("keep.txt", b"new"), Delete("drop.txt"), Put("n/e/w.txt", b"n"), Put("z", b"z")]
        with pytest.raises(OSError, match="disk on fire"):
            engine.apply(ops)
    assert snapshot(root) == before


def test_refused_batch_changes_nothing(root: Path, snapshot) -> None:
    (root / "a.txt").write_bytes(b"old")
    before = snapshot(root)
    with Engine(root) as engine, pytest.raises(PathError):
        engine.apply([Put("a.txt", b"new"), Put("b/c", b"new"), Put("../escape", b"x")])
    assert snapshot(root) == before


def test_same_path_twice_is_refused(root: Path, snapshot) -> None:
    with Engine(root) as engine, pytest.raises(PathError, match="twice"):
        engine.apply([Put("a", b"1"), Delete("a")])


def test_cannot_replace_a_directory_or_chmod_a_missing_file(root: Path, snapshot) -> None:
    (root / "d").mkdir()
    with Engine(root) as engine:
        with pytest.raises(PathError, match="not a regular file"):
            engine.apply([Put("d", b"x")])
        with pytest.raises(PathError, match="missing"):
            engine.apply([Chmod("nope", 0o600)])
        with pytest.raises(PathError, match="both a file and a directory"):
            engine.apply([Put("d/x", b"1"), Put("d/x/y", b"2")])
        with pytest.raises(PathError, match="both a file and a directory"):
            engine.apply([Put("d/x/y", b"2"), Put("d/x", b"1")])
        # With siblings in between, either way round.
        with pytest.raises(PathError, match="both a file and a directory"):
            engine.apply([Put("d/x", b"1"), Put("d/y", b"2"), Put("d/x/z/w", b"3")])
        with pytest.raises(PathError, match="both a file and a directory"):
            engine.apply([Put("d/x/z/1", b"1"), Put("d/x/z/2", b"2"), Put("d/x", b"3")])
    assert os.listdir(root / "d") == []


def test_dir_cache_evicts_the_least_recently_used(root: Path):
    for name in "abc":
        (root / name).mkdir()
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    cache = DirCache(root_fd, limit=2)
    a = cache.get(("a",))
    cache.get(("b",))
    assert cache.get(("a",)) == a  # a is now the most recent
    cache.get(("c",))  # evicts b
    assert cache.overflowed
    assert len(cache.opened()) == 2
    assert cache.get(("a",)) == a
    cache.close()
    os.close(root_fd)


def test_batch_touching_more_directories_than_the_cache_holds(root: Path, snapshot, monkeypatch):
    monkeypatch.setattr(_paths.DirCache.__init__, "__defaults__", (3,))
    with Engine(root) as engine:
        engine.apply([Put(f"d{i}/f", b"%d" % i) for i in range(10)])
        engine.apply([Put(f"d{i}/f", b"new %d" % i) for i in range(10)])
    assert sorted(p for p in snapshot(root) if p.endswith("/f")) == [f"d{i}/f" for i in range(10)]
    assert (root / "d7/f").read_bytes() == b"new 7"


def test_token_of_a_big_batch_is_read_from_the_journal_head(root: Path):
    with Engine(root) as engine:
        token = engine.apply([Put(f"d/f{i}", b"x") for i in range(300)])
        assert engine.token == token
        assert (root / ".livepatch-agent/token").stat().st_size > 10_000  # the whole journal
    with Engine(root) as again:
        assert again.token == token


@pytest.mark.parametrize("umask", [0o022, 0o077, None])
@pytest.mark.parametrize("mode", [0o644, 0o666, 0o755, 0o700, 0o4755])
def test_put_gives_the_exact_mode_whatever_the_umask(root: Path, monkeypatch, umask, mode) -> None:
    # open(2) sets the mode alone only when the umask strips nothing; else fchmod does.
    monkeypatch.setattr(_batch, "_umask", lambda: umask)
    old = os.umask(umask if umask is not None else 0o022)
    try:
        with Engine(root) as engine:
            engine.apply([Put("big.bin", b"x" * (3 << 20), mode)])
    finally:
        os.umask(old)
    assert (root / "big.bin").stat().st_mode & 0o7777 == mode
    assert (root / "big.bin").read_bytes() == b"x" * (3 << 20)


def test_umask_is_read_from_proc() -> None:
    old = os.umask(0o027)
    os.umask(old)
    assert _batch._umask() in (old, None)


def _patch(old: bytes, new: bytes, path: str = "big.bin") -> Patch:
    import hashlib

    from velocity.livepatch import codec

    delta = codec.make_delta(codec.signature(old, 512), new)
    return Patch(path, delta, hashlib.sha256(new).digest(), 0o640)


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_patch_builds_the_new_file_from_the_old(root: Path, snapshot, monkeypatch, kernel_copy):
    if not kernel_copy:  # a file system that refuses copy_file_range: read and write

        def refuse(*args: object) -> int:
            raise OSError(errno.EXDEV, "cross-device")

        monkeypatch.setattr(os, "copy_file_range", refuse)
    old = os.urandom(300_000)
    new = old[:1000] + b"edit" + old[1004:200_000] + b"inserted" + old[200_000:] + b"tail"
    (root / "big.bin").write_bytes(old)
    with Engine(root) as engine:
        engine.apply([_patch(old, new)])
    assert (root / "big.bin").read_bytes() == new
    assert (root / "big.bin").stat().st_mode & 0o777 == 0o640
    assert sorted(snapshot(root)) == ["big.bin"]


def test_patch_against_another_version_is_a_conflict_and_changes_nothing(root: Path, snapshot):
    old = os.urandom(100_000)
    (root / "big.bin").write_bytes(b"x" + old[1:])
    (root / "other").write_bytes(b"keep")
    before = snapshot(root)
    with Engine(root) as engine:
        with pytest.raises(ConflictError):
            engine.apply([Put("other", b"new"), _patch(old, old[:50_000] + b"!" + old[50_000:])])
        with pytest.raises(ConflictError):
            engine.apply([_patch(old, old + b"!", "missing.bin")])
    assert snapshot(root) == before
