"""The live logs page in a real Chromium, following real ``livepatch-agent`` processes."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from velocity.dashboard import create_app
from velocity.livepatch.cli import main as livepatch
from velocity.livepatch.client import ConnectOptions

APP = """
import signal, sys, time
def reload(*_):
    version = open("version.txt").read().strip()
    print("reloaded, version", version, flush=True)
    if version == "bad":
        sys.exit(3)
signal.signal(signal.SIGHUP, reload)
print("hello from the app", flush=True)
print("a warning on stderr", file=sys.stderr, flush=True)
while True:
    time.sleep(0.1)
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    certs = tmp_path_factory.mktemp("pki") / "certs"
    assert livepatch(["certs", "init", "--dir", str(certs)]) == 0
    assert livepatch(["certs", "issue", "agent", "box", "--dir", str(certs), "--allow", "me"]) == 0
    assert livepatch(["certs", "issue", "client", "me", "--dir", str(certs)]) == 0
    return certs


def start_agent(pki: Path, root: Path, *command: str):
    argv = [sys.executable, "-m", "velocity.livepatch.agent", *command[:1], "--root", str(root)]
    argv += ["--listen", "127.0.0.1:0", "--tls-dir", str(pki / "agents/box"), *command[1:]]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, cwd=root)
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(r"listening on (\S+)", line)
        if match:
            return proc, f"agent://{match.group(1)}"
    raise AssertionError(f"agent exited: {proc.wait()}")


def stop(proc) -> None:
    proc.terminate()
    proc.wait(timeout=15)
    proc.stderr.close()


def test_logs_page_streams_a_supervised_app_and_its_events(page, serve, shot, pki, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "app.py").write_text(textwrap.dedent(APP))
    (root / "version.txt").write_text("1\n")
    run = ("run", "--grace", "0.3", "--", sys.executable, str(root / "app.py"))
    proc, url = start_agent(pki, root, *run)
    try:
        options = ConnectOptions(tls_dir=str(pki))
        app = create_app(agents=[url], connect_options=options)
        page.goto(serve(app) + "/logs")
        page.wait_for_selector(".line.stdout:has-text('hello from the app')")
        page.wait_for_selector(".line.stderr:has-text('a warning on stderr')")
        page.wait_for_selector(".line.event[data-kind='started']")
        assert page.get_attribute("section.agent", "data-status") == "streaming"

        # A real sync: the agent applies it, reloads the app (SIGHUP), and says so.
        src = tmp_path / "src"
        src.mkdir()
        (src / "app.py").write_text(textwrap.dedent(APP))
        (src / "version.txt").write_text("2\n")
        sync = ["sync", str(src), url, "--tls-dir", str(pki), "--state-dir", str(tmp_path / "st")]
        assert livepatch(sync) == 0
        page.wait_for_selector(".line.event[data-kind='applied']")
        page.wait_for_selector(".line.event[data-kind='reloaded']")
        page.wait_for_selector(".line.stdout:has-text('reloaded, version 2')")

        # A change the app does not survive is rolled back, and the page shows it.
        (src / "version.txt").write_text("bad\n")
        livepatch(sync)
        page.wait_for_selector(".line.event[data-kind='exited']")
        page.wait_for_selector(".line.event[data-kind='rolled_back']")
        assert (root / "version.txt").read_text() == "2\n"
        shot("logs-supervised")

        page.select_option("#logs-filter", "events")
        kinds = page.locator(".log .line:visible").evaluate_all(
            "lines => lines.map(l => l.dataset.kind)"
        )
        assert set(kinds) == {"started", "applied", "reloaded", "exited", "rolled_back"}

        # Closing the dashboard ends its stream from the agent, though the app is quiet.
        page.close()
        hub = app.state.velocity_dashboard.logs
        app.state.velocity_dashboard.close()
        for thread in hub._threads:
            thread.join(timeout=10)
            assert not thread.is_alive()
    finally:
        stop(proc)


def test_logs_page_says_why_an_agent_has_no_logs(page, serve, pki, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    proc, url = start_agent(pki, root, "serve")
    try:
        app = create_app(agents=[url], connect_options=ConnectOptions(tls_dir=str(pki)))
        page.goto(serve(app) + "/logs")
        page.wait_for_selector("section.agent[data-status='error']")
        assert "supervisor" in page.inner_text("section.agent .agent-status")
    finally:
        stop(proc)


def test_logs_page_names_an_unreachable_agent(page, serve, tmp_path):
    app = create_app(agents=["agent://127.0.0.1:1"], connect_options=ConnectOptions(tls_dir="x"))
    page.goto(serve(app) + "/logs")
    page.wait_for_selector("section.agent[data-status='error']")
    assert "certificate" in page.inner_text("section.agent .agent-status")
