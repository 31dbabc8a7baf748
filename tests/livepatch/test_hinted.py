"""Syncs told which paths changed (what ``livepatch watch`` will do) touch only those."""

from __future__ import annotations

from pathlib import Path

import pathspec
import pytest

from velocity.livepatch.agent._manifest import FileInfo
from velocity.livepatch.client import _state
from velocity.livepatch.client._scan import load_ignore
from velocity.livepatch.client._state import load_state
from velocity.livepatch.client._state import save_state
from velocity.livepatch.client._sync import Syncer
from velocity.livepatch.client._targets import parse_target


@pytest.fixture
def pair(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "a").mkdir(parents=True)
    dst.mkdir()
    for name in ["a/one.py", "a/two.py", "three.py"]:
        (src / name).write_text(name)
    with Syncer(src, parse_target(f"local://{dst}"), state_dir=tmp_path / "state") as syncer:
        syncer.sync()
        yield src, dst, syncer


def test_hinted_edit_delete_rename(pair, snapshot):
    src, dst, syncer = pair
    (src / "a/one.py").write_text("edited")
    (src / "three.py").unlink()
    (src / "a/two.py").rename(src / "a/deux.py")
    result = syncer.sync(["a/one.py", "three.py", "a/two.py", "a/deux.py"])
    assert result.counts == {"whole": 1, "delete": 2, "copy": 1}
    assert snapshot(dst) == snapshot(src)


def test_unhinted_changes_wait_for_a_full_walk(pair, snapshot):
    src, dst, syncer = pair
    (src / "a/one.py").write_text("edited")
    (src / "three.py").write_text("also edited")
    assert syncer.sync(["a/one.py"]).counts == {"whole": 1}
    assert (dst / "three.py").read_text() == "three.py"
    assert syncer.sync().counts == {"whole": 1}
    assert snapshot(dst) == snapshot(src)


def test_hint_of_an_ignore_file_rescans(pair):
    src, dst, syncer = pair
    (src / ".livepatchignore").write_text("three.py\n")
    (src / "new.py").write_text("new")
    result = syncer.sync([".livepatchignore"])
    assert result.counts == {"whole": 2}  # the ignore file and new.py; three.py stays
    assert (dst / "three.py").exists()
    assert (dst / "new.py").exists()


def test_hinted_ignored_paths_are_left_alone(pair):
    src, dst, syncer = pair
    (src / ".gitignore").write_text("*.log\n")
    syncer.sync()
    (src / "debug.log").write_text("noise")
    assert syncer.sync(["debug.log"]).changed == 0
    assert not (dst / "debug.log").exists()


def test_state_log_replays_and_survives_a_torn_line(pair, tmp_path):
    src, _, syncer = pair
    for i in range(3):
        (src / "three.py").write_text(f"v{i}")
        syncer.sync(["three.py"])
    url = syncer.target.url
    state = load_state(tmp_path / "state", url)
    assert state.files == syncer.state.files
    assert state.token == syncer.state.token
    log = next((tmp_path / "state/targets").glob("*.log"))
    log.write_text(log.read_text() + '{"token": "torn')
    assert load_state(tmp_path / "state", url).token == syncer.state.token
    save_state(tmp_path / "state", state)  # a full rewrite folds the log in
    assert not log.exists()
    assert load_state(tmp_path / "state", url).files == syncer.state.files


@pytest.mark.parametrize(
    "lines",
    [
        ["*.log", "build/", "/top.txt", "docs/**/*.md", "a?c", "[ab]x"],
        ["*.log", "!keep.log"],
        [],
    ],
)
def test_fast_ignore_matcher_agrees_with_pathspec(tmp_path: Path, lines):
    (tmp_path / ".livepatchignore").write_text("\n".join(lines) + "\n")
    ours = load_ignore(tmp_path)
    spec = pathspec.GitIgnoreSpec.from_lines([".git/", ".velocity/", ".livepatch-agent/", *lines])
    paths = [
        "x.log", "a/x.log", "keep.log", "build/", "a/build/", "build/x", "top.txt", "a/top.txt",
        "docs/a/b/c.md", "docs/c.md", "abc", "axc", "ax", "bx", "cx", ".git/", "src/.git/", "ok.py",
    ]  # fmt: skip
    assert [ours(p) for p in paths] == [spec.match_file(p) for p in paths]


def test_state_log_is_folded_in_after_a_bound_that_grows_with_the_tree(tmp_path, monkeypatch):
    # A rewrite costs O(files), so a bigger tree may log more records between rewrites.
    monkeypatch.setattr(_state, "_LOG_MIN", 2)
    monkeypatch.setattr(_state, "_LOG_PER_ROW", 2)
    files = {f"f{i}": FileInfo(f"f{i}", bytes(32), 0o644, i) for i in range(10)}
    state = _state.TargetState("local:///x", "t0", dict(files))
    _state.save_state(tmp_path, state)
    log = next((tmp_path / "targets").glob("*.json")).with_suffix(".log")
    for n in range(1, 7):
        files["f1"] = FileInfo("f1", bytes(32), 0o644, 100 + n)
        state.token = f"t{n}"
        state.update(dict(files), ["f1"])
        _state.save_state(tmp_path, state, ["f1"])
        assert (log.read_text().count("\n") if log.exists() else 0) == n % 6  # 10 // 2 = 5
        loaded = _state.load_state(tmp_path, "local:///x")
        assert (loaded.token, loaded.files, loaded.logged) == (f"t{n}", files, n % 6)
