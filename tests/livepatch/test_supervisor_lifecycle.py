"""``livepatch-agent run`` as a process: start, stop, one per root, and reached over SSH."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys

from velocity.livepatch.agent_cli import main as agent_main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.client import stream_logs

AGENT = f"{sys.executable} -m velocity.livepatch.agent"


def test_sigterm_stops_the_app_then_the_agent(supervise, app_root, alive):
    agent = supervise("--reload", "signal:HUP")
    sock = app_root / ".livepatch-agent/supervisor/agent.sock"
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
    assert alive(agent.first_pid)
    assert agent.stop() == 0
    assert not alive(agent.first_pid)
    assert not sock.exists()


def test_sigterm_to_a_worker_thread_still_stops_the_agent(supervise, alive, signal_worker_thread):
    # Regression: the main thread slept in Event.wait() and never ran the handler.
    agent = supervise("--reload", "signal:HUP")
    signal_worker_thread(agent.proc.pid, signal.SIGTERM)
    assert agent.proc.wait(timeout=30) == 0
    assert not alive(agent.first_pid)


def test_one_supervisor_per_root(supervise, app_root, capsys):
    supervise("--reload", "none")
    argv = ["run", "--root", str(app_root), "--", sys.executable, "-c", "pass"]
    assert agent_main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"livepatch-agent: error: a supervisor already runs for this root ({app_root})\n"


def test_a_command_that_cannot_start_is_one_line_exit_2(app_root, capsys):
    argv = ["run", "--root", str(app_root), "--", str(app_root / "no-such-program")]
    assert agent_main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot start" in err
    assert "No such file or directory" in err
    assert not (app_root / ".livepatch-agent/supervisor/agent.sock").exists()


def test_listen_needs_tls_dir(app_root, capsys):
    argv = ["run", "--root", str(app_root), "--listen", "127.0.0.1:0", "--", "true"]
    assert agent_main(argv) == 2
    assert "--listen needs --tls-dir" in capsys.readouterr().err


def test_an_app_that_exits_is_started_again_by_the_next_patch(
    supervise, app_src, app_root, tmp_path, alive
):
    agent = supervise("--reload", "signal:HUP", "--grace", "0.2")
    subprocess.run(["kill", "-TERM", str(agent.first_pid)], check=True)
    agent.wait_for(rf"pid {agent.first_pid} exited with -15")
    (app_src / "msg.txt").write_text("back\n")
    target = parse_target(f"local://{app_root}")
    with Syncer(app_src, target, state_dir=tmp_path / "state") as syncer:
        result = syncer.sync()
    assert result.reload is not None
    assert result.reload.ok
    assert result.reload.detail.startswith("started pid ")
    pid = int(result.reload.detail.split()[-1])
    assert alive(pid)
    assert (app_root / "runtime.txt").read_text() == f"{pid} saw back\n"


def test_over_ssh_the_stdio_agent_relays_to_the_supervisor(
    sshd, supervise, app_src, app_root, tmp_path
):
    agent = supervise("--reload", "signal:HUP", "--grace", "0.2")
    url = f"ssh://{sshd.user}@{sshd.host}:{sshd.port}{app_root}"
    options = ConnectOptions(
        agent_command=AGENT,
        known_hosts=str(sshd.known_hosts_path),
        identity=str(sshd.client_key_path),
    )
    (app_src / "msg.txt").write_text("over ssh\n")
    with Syncer(app_src, parse_target(url), options, tmp_path / "state") as syncer:
        result = syncer.sync()
    assert result.reload is not None
    assert result.reload.ok
    assert result.reload.strategy == "signal:HUP"
    agent.wait_for(rf"pid {agent.first_pid} msg: over ssh")
    texts = [e.text for e in stream_logs(url, follow=False, options=options)]
    assert f"pid {agent.first_pid} msg: over ssh" in texts


def test_a_killed_supervisor_leaves_a_stale_socket_that_is_ignored(
    supervise, app_src, app_root, tmp_path, alive, capsys
):
    agent = supervise("--reload", "signal:HUP")
    agent.proc.kill()  # no chance to clean up: the socket file stays
    agent.proc.wait(timeout=10)
    subprocess.run(["kill", "-TERM", str(agent.first_pid)], check=True)  # its orphaned app
    assert (app_root / ".livepatch-agent/supervisor/agent.sock").exists()
    (app_src / "msg.txt").write_text("alone\n")
    target = parse_target(f"local://{app_root}")
    with Syncer(app_src, target, state_dir=tmp_path / "state") as syncer:
        result = syncer.sync()
    assert result.reload is not None
    assert result.reload.strategy == "none (no supervisor)"
    assert (app_root / "msg.txt").read_text() == "alone\n"
    # A new supervisor takes the root over.
    again = supervise("--reload", "signal:HUP", "--grace", "0.2")
    assert alive(again.first_pid)
    (app_src / "msg.txt").write_text("supervised again\n")
    with Syncer(app_src, target, state_dir=tmp_path / "state") as syncer:
        result = syncer.sync()
    assert result.reload is not None
    assert result.reload.strategy == "signal:HUP"
