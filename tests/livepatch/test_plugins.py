"""pluggy hooks: entry-point loading, transports, filters, pre/post sync."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from velocity.core.errors import UsageError
from velocity.core.errors import VelocityError
from velocity.livepatch.cli import main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import StdioChannel
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.hookspecs import hookimpl
from velocity.livepatch.plugins import PluginWarning
from velocity.livepatch.plugins import get_plugin_manager
from velocity.livepatch.plugins import has_impl


class Recorder:
    def __init__(self) -> None:
        self.plans: list[tuple[str, list[str]]] = []
        self.results: list[int] = []

    @hookimpl
    def livepatch_transports(self):
        return {"loop": self.open_loop}

    @staticmethod
    def open_loop(target, options):
        argv = [sys.executable, "-m", "velocity.livepatch.agent", "stdio", "--root", target.path]
        return StdioChannel(argv, target.url)

    @hookimpl
    def livepatch_filter(self, path: str):
        return True if path.startswith("secrets/") else None

    @hookimpl
    def livepatch_pre_sync(self, target, changes):
        self.plans.append((target, sorted(f.path for f in changes.puts)))

    @hookimpl
    def livepatch_post_sync(self, result):
        self.results.append(result.changed)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    plugin = Recorder()
    pm = get_plugin_manager()
    pm.register(plugin, name="test-recorder")
    yield plugin
    pm.unregister(plugin)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    (path / "secrets").mkdir(parents=True)
    (path / "secrets/key.pem").write_text("private\n")
    (path / "app.py").write_text("x = 1\n")
    return path


def test_no_plugin_means_no_hook_calls():
    assert not has_impl("livepatch_filter")
    assert not has_impl("livepatch_pre_sync")
    assert not has_impl("livepatch_post_sync")


def test_a_plugin_transport_filter_and_sync_hooks(recorder, src, tmp_path):
    dst = tmp_path / "dst"
    dst.mkdir()
    target = parse_target(f"loop://{dst}")
    assert target.scheme == "loop"
    with Syncer(src, target, ConnectOptions(), tmp_path / "state") as syncer:
        assert syncer.sync().changed == 1
        assert syncer.sync().changed == 0  # nothing changed: no hooks
    assert (dst / "app.py").read_text() == "x = 1\n"
    assert not (dst / "secrets").exists()
    assert recorder.plans == [(f"loop://{dst}", ["app.py"])]
    assert recorder.results == [1]


class Refuser:
    @hookimpl
    def livepatch_pre_sync(self, target, changes):
        raise VelocityError("policy: no deploys on Fridays")


def test_pre_sync_can_stop_a_sync(recorder, src, tmp_path, capsys):
    dst = tmp_path / "dst"
    dst.mkdir()
    refuser = Refuser()
    get_plugin_manager().register(refuser)
    try:
        argv = ["sync", str(src), f"loop://{dst}", "--state-dir", str(tmp_path / "state")]
        assert main(argv) == 2
    finally:
        get_plugin_manager().unregister(refuser)
    assert "policy: no deploys on Fridays" in capsys.readouterr().err
    assert [p.name for p in dst.iterdir()] in ([], [".livepatch-agent"])
    assert not (dst / "app.py").exists()


def test_unknown_scheme_lists_plugin_schemes(recorder):
    with pytest.raises(UsageError, match=r"loop://"):
        parse_target("nope://x/y")


def test_a_broken_plugin_is_one_warning_not_a_crash(tmp_path, monkeypatch):
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[velocity.livepatch]\nbroken = no_such_module_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    get_plugin_manager.cache_clear()
    try:
        with pytest.warns(PluginWarning, match=r"'broken' \(no_such_module_here\) failed to load"):
            pm = get_plugin_manager()
        assert pm.get_plugin("kubectl") is not None  # the others still load
    finally:
        get_plugin_manager.cache_clear()
