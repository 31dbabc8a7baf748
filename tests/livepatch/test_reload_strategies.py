"""Each reload strategy, end to end: a real ``livepatch-agent run`` supervising a real app,
patched through a real ``livepatch-agent stdio`` (local://) that relays to the supervisor."""

from __future__ import annotations

import shlex
import sys

import pytest

from velocity.core.errors import UsageError
from velocity.livepatch.agent_cli import main as agent_main
from velocity.livepatch.cli import main
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.hookspecs import hookimpl
from velocity.livepatch.plugins import get_plugin_manager
from velocity.livepatch.reloaders import make_reloader


def sync_message(app_src, app_root, tmp_path, text):
    (app_src / "msg.txt").write_text(f"{text}\n")
    target = parse_target(f"local://{app_root}")
    with Syncer(app_src, target, state_dir=tmp_path / "state") as syncer:
        return syncer.sync()


@pytest.mark.parametrize("spec", ["signal:HUP", "signal:USR1", "signal:SIGUSR1"])
def test_signal_reaches_the_same_process(spec, supervise, app_src, app_root, tmp_path):
    agent = supervise("--reload", spec, "--grace", "0.3")
    seen = len(agent.lines)
    result = sync_message(app_src, app_root, tmp_path, "two")
    assert result.reload is not None
    assert result.reload.ok, result.reload
    assert result.reload.strategy == make_reloader(spec).name
    assert result.reload.detail == f"pid {agent.first_pid}"
    assert result.rollback is None
    # The app itself saw the new file, in the process it already was.
    agent.wait_for(rf"pid {agent.first_pid} msg: two", after=seen)


def test_restart_starts_a_new_process(supervise, app_src, app_root, tmp_path, alive):
    agent = supervise("--reload", "restart", "--grace", "0.3")
    seen = len(agent.lines)
    result = sync_message(app_src, app_root, tmp_path, "two")
    assert result.reload is not None
    assert result.reload.ok, result.reload
    assert result.reload.strategy == "restart"
    new_pid = int(result.reload.detail.split()[-1])
    assert new_pid != agent.first_pid
    agent.wait_for(rf"pid {new_pid} msg: two", after=seen)
    assert not alive(agent.first_pid)
    assert alive(new_pid)


def test_exec_runs_the_command(supervise, app_src, app_root, tmp_path, alive):
    marker = tmp_path / "reloaded-by-exec"
    command = f"cat {shlex.quote(str(app_root / 'msg.txt'))} > {shlex.quote(str(marker))}"
    agent = supervise("--reload", f"exec:{command}", "--grace", "0.3")
    result = sync_message(app_src, app_root, tmp_path, "two")
    assert result.reload is not None
    assert result.reload.ok, result.reload
    assert result.reload.strategy == f"exec:{command}"
    assert marker.read_text() == "two\n"  # ran after the files landed
    assert alive(agent.first_pid)


def test_exec_failure_is_a_failed_reload_and_rolls_back(supervise, app_src, app_root, tmp_path):
    supervise("--reload", "exec:echo nope >&2; exit 4", "--grace", "0.3")
    result = sync_message(app_src, app_root, tmp_path, "two")
    assert result.reload is not None
    assert not result.reload.ok
    assert "exited 4: nope" in result.reload.detail
    assert result.rollback is not None
    assert result.rollback.rolled_back
    assert (app_root / "msg.txt").read_text() == "one\n"


def test_none_leaves_the_app_alone(supervise, app_src, app_root, tmp_path):
    agent = supervise("--reload", "none", "--grace", "0.3")
    result = sync_message(app_src, app_root, tmp_path, "two")
    assert result.reload is not None
    assert result.reload.ok
    assert result.reload.strategy == "none"
    assert (app_root / "msg.txt").read_text() == "two\n"
    # Nothing made the app print again: its only line is still the first one.
    assert (app_root / "runtime.txt").read_text() == f"{agent.first_pid} saw one\n"


def test_sync_cli_prints_the_reload(supervise, app_src, app_root, tmp_path, capsys):
    supervise("--reload", "signal:HUP", "--grace", "0.2")
    (app_src / "msg.txt").write_text("two\n")
    argv = ["sync", str(app_src), f"local://{app_root}", "--state-dir", str(tmp_path / "s")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "reloaded: signal:HUP (pid " in out


def test_without_a_supervisor_sync_says_nothing_was_reloaded(app_src, app_root, tmp_path, capsys):
    (app_src / "msg.txt").write_text("two\n")
    argv = ["sync", str(app_src), f"local://{app_root}", "--state-dir", str(tmp_path / "s")]
    assert main(argv) == 0
    assert "reload: none (no supervisor)" in capsys.readouterr().out
    assert (app_root / "msg.txt").read_text() == "two\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bogus", "unknown reload strategy 'bogus'; use one of"),
        ("signal:NOPE", "unknown signal 'NOPE'"),
        ("exec:", "needs a command"),
        ("restart:now", "takes no argument"),
    ],
)
def test_bad_reload_spec_is_one_line_exit_2(spec, message, app_root, capsys):
    argv = ["run", "--root", str(app_root), "--reload", spec, "--", sys.executable, "-V"]
    assert agent_main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("livepatch-agent: error: ")
    assert message in err
    assert not (app_root / ".livepatch-agent/supervisor").exists()  # nothing started


class TouchReloader:
    def __init__(self, arg):
        self.name = f"touch:{arg}"

    def reload(self, process, argv):
        return process


class TouchPlugin:
    @hookimpl
    def livepatch_reloaders(self):
        return {"touch": TouchReloader, "restart": TouchReloader}


def test_a_plugin_adds_a_strategy_but_cannot_replace_a_built_in(capsys):
    manager = get_plugin_manager()
    manager.register(TouchPlugin(), name="test-touch-reloader")
    try:
        assert make_reloader("touch:now").name == "touch:now"
        assert make_reloader("restart").name == "restart"
        with pytest.raises(
            UsageError, match=r"use one of exec:ARG, none, restart, signal:ARG, touch"
        ):
            make_reloader("nope")
    finally:
        manager.unregister(name="test-touch-reloader")
    with pytest.raises(UsageError, match="unknown reload strategy 'touch:now'"):
        make_reloader("touch:now")
