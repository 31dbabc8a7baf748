"""rsync-style attack tests: a sentinel outside the root must survive every one of them."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from velocity.livepatch.agent import Chmod
from velocity.livepatch.agent import Delete
from velocity.livepatch.agent import Engine
from velocity.livepatch.agent import Op
from velocity.livepatch.agent import PathError
from velocity.livepatch.agent import Put
from velocity.livepatch.agent import Symlink
from velocity.livepatch.agent import check_link_target
from velocity.livepatch.agent import split_path

Setup = Callable[[Path, Path], list[Op]]


def _abs(root: Path, outside: Path) -> list[Op]:
    return [Put(str(outside / "sentinel"), b"pwned")]


def _dir_link(root: Path, outside: Path) -> list[Op]:
    (root / "evil").symlink_to(outside)
    return [Put("evil/sentinel", b"pwned")]


def _dir_link_deep(root: Path, outside: Path) -> list[Op]:
    (root / "a").mkdir()
    (root / "a/evil").symlink_to("../../outside")
    return [Put("a/evil/new-file", b"pwned")]


def _hardlink(root: Path, outside: Path) -> list[Op]:
    os.link(outside / "sentinel", root / "hl")
    return [Put("hl", b"replaced, not written through")]


def _file_link_chmod(root: Path, outside: Path) -> list[Op]:
    (root / "f").symlink_to(outside / "sentinel")
    return [Chmod("f", 0o777)]


def _link_in_batch(root: Path, outside: Path) -> list[Op]:
    return [Symlink("evil", "../outside"), Put("evil/sentinel", b"pwned")]


def _inner_link_in_batch(root: Path, outside: Path) -> list[Op]:
    (root / "sub").mkdir()
    return [Symlink("in", "sub"), Put("in/file", b"through a link")]


def _chain(root: Path, outside: Path) -> list[Op]:
    # x -> "." is harmless, but "x/.." would resolve to the root's parent.
    return [Symlink("x", "."), Symlink("y", "x/../outside/sentinel")]


ATTACKS: dict[str, Setup] = {
    "dotdot": lambda r, o: [Put("../outside/sentinel", b"pwned")],
    "dotdot-inner": lambda r, o: [Put("a/../../outside/sentinel", b"pwned")],
    "dotdot-delete": lambda r, o: [Delete("../outside/sentinel")],
    "absolute": _abs,
    "nul": lambda r, o: [Put("sentinel\0.txt", b"pwned")],
    "backslash": lambda r, o: [Put("..\\outside\\sentinel", b"pwned")],
    "long-component": lambda r, o: [Put("a" * 256, b"x")],
    "long-path": lambda r, o: [Put("/".join(["d" * 200] * 21), b"x")],
    "empty-component": lambda r, o: [Put("a//b", b"x")],
    "state-dir": lambda r, o: [Put(".livepatch-agent/journal.json", b"{}")],
    "symlink-dir-escape": _dir_link,
    "symlink-dir-escape-deep": _dir_link_deep,
    "symlink-file-chmod": _file_link_chmod,
    "symlink-absolute-target": lambda r, o: [Symlink("l", str(o / "sentinel"))],
    "symlink-dotdot-target": lambda r, o: [Symlink("l", "../outside/sentinel")],
    "symlink-in-batch-then-write": _link_in_batch,
    "inner-symlink-in-batch-then-write": _inner_link_in_batch,
    "symlink-chain": _chain,
}

ALLOWED: dict[str, Setup] = {
    "symlink-file-swap": lambda r, o: (
        (r / "f").symlink_to(o / "sentinel"),
        [Put("f", b"replaces the link")],
    )[1],
    "symlink-delete": lambda r, o: ((r / "f").symlink_to(o / "sentinel"), [Delete("f")])[1],
    "hardlink-replace": _hardlink,
}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    (path / "sentinel").write_bytes(b"precious")
    (path / "sentinel").chmod(0o644)
    return path


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_refused_and_nothing_changes(attack, root, outside, snapshot) -> None:
    ops = ATTACKS[attack](root, outside)
    outside_before, root_before = snapshot(outside), snapshot(root)
    with Engine(root) as engine, pytest.raises(PathError):
        engine.apply(ops)
    assert snapshot(outside) == outside_before
    assert snapshot(root) == root_before


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_links_are_replaced_never_followed(case, root, outside, snapshot) -> None:
    ops = ALLOWED[case](root, outside)
    before = snapshot(outside)
    with Engine(root) as engine:
        engine.apply(ops)
    assert snapshot(outside) == before
    assert not (root / "f").is_symlink()


@pytest.mark.parametrize("make", [os.mkfifo, lambda p: os.mkdir(p)], ids=["fifo", "dir"])
def test_special_files_are_neither_replaced_nor_read(make, root) -> None:
    make(root / "special")
    with Engine(root) as engine:
        for ops in ([Put("special", b"x")], [Delete("special")], [Chmod("special", 0o600)]):
            with pytest.raises(PathError):
                engine.apply(ops)
        with pytest.raises(PathError):
            engine.read("special")  # must not block on the FIFO either
    assert not stat.S_ISREG((root / "special").lstat().st_mode)


def test_read_refuses_symlinks_and_escapes(root, outside) -> None:
    (root / "f").symlink_to(outside / "sentinel")
    (root / "d").symlink_to(outside)
    with Engine(root) as engine:
        for path in ("f", "d/sentinel", "../outside/sentinel"):
            with pytest.raises(PathError):
                engine.read(path)


@pytest.mark.parametrize(
    ("link", "target"),
    [("a", "b"), ("a/b", "../c"), ("a/b/c", "../../d/e"), ("a/b", "./c/./d"), ("a/b", "../a/b")],
)
def test_inner_link_targets_are_accepted(link, target) -> None:
    check_link_target(link, target)


@pytest.mark.parametrize(
    ("link", "target"),
    [("a", ".."), ("a", "../x"), ("a/b", "../../x"), ("a", "b/../../x"), ("a", "/etc"), ("a", "")],
)
def test_outer_link_targets_are_refused(link, target) -> None:
    with pytest.raises(PathError):
        check_link_target(link, target)


def test_split_path_accepts_plain_paths() -> None:
    assert split_path("a/b c/d.txt") == ("a", "b c", "d.txt")
    assert split_path("é/" + "x" * 127) == ("é", "x" * 127)
