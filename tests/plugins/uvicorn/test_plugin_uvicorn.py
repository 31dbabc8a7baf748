"""The livepatch-uvicorn reloader against real uvicorn and gunicorn processes."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from livepatch_uvicorn import UvicornReloader
from livepatch_uvicorn._server import children
from livepatch_uvicorn._server import is_gunicorn
from livepatch_uvicorn._server import listen_from_argv

from velocity.core.errors import UsageError
from velocity.livepatch.reloaders import make_reloader
from velocity.livepatch.reloaders import spawn
from velocity.livepatch.reloaders import stop
from velocity.testing import free_port

ASGI_APP = """\
VERSION = {version!r}

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": VERSION.encode()}})
"""

WSGI_APP = """\
VERSION = {version!r}

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [VERSION.encode()]
"""


def halt(*processes) -> None:
    for process in processes:
        stop(process)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def get(port: int, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return str(response.read().decode())


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"port {port} never opened"
            time.sleep(0.05)


def test_the_entry_point_registers_the_strategy():
    reloader = make_reloader("uvicorn:http://127.0.0.1:9/healthz")
    assert isinstance(reloader, UvicornReloader)
    assert reloader.health == "http://127.0.0.1:9/healthz"
    assert make_reloader("uvicorn").listen is None  # type: ignore[attr-defined]


def test_bad_argument_is_a_usage_error():
    with pytest.raises(UsageError, match="want PORT"):
        make_reloader("uvicorn:host:notaport")


@pytest.mark.parametrize(
    ("argv", "gunicorn", "port"),
    [
        (["uvicorn", "app:app", "--port", "9001"], False, 9001),
        (["python", "-m", "uvicorn", "app:app", "--host=0.0.0.0"], False, 8000),
        (["gunicorn", "-b", "0.0.0.0:9002", "app:app"], True, 9002),
        (["python", "-m", "gunicorn", "--bind=127.0.0.1:9003", "app:app"], True, 9003),
        (["/usr/bin/gunicorn", "-b127.0.0.1:9004", "app:app"], True, 9004),
    ],
)
def test_reads_the_address_from_the_command_line(argv, gunicorn, port):
    assert is_gunicorn(argv) is gunicorn
    listen = listen_from_argv(argv)
    assert (listen.host, listen.port) == ("127.0.0.1", port)


def test_plain_uvicorn_is_restarted_and_waited_for(tmp_path):
    (tmp_path / "app.py").write_text(ASGI_APP.format(version="one"))
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port)]
    argv += ["--app-dir", str(tmp_path), "--log-level", "warning"]
    process = spawn(argv)
    try:
        wait_port(port)
        assert get(port) == "one"
        (tmp_path / "app.py").write_text(ASGI_APP.format(version="two"))
        reloader = make_reloader("uvicorn")
        new = reloader.reload(process, argv)
        assert new is not process
        assert process.poll() is not None
        halt(process)
        process = new
        assert get(port) == "two"  # serving as soon as reload() returns
        assert isinstance(reloader, UvicornReloader)
        assert "uvicorn restarted" in reloader.last_detail
        assert "serving again after" in reloader.last_detail
    finally:
        halt(process)


def test_gunicorn_master_gets_sighup_and_keeps_serving(tmp_path):
    pytest.importorskip("gunicorn", reason="pip install livepatch-uvicorn[test]")
    (tmp_path / "app.py").write_text(WSGI_APP.format(version="one"))
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2"]
    argv += ["--chdir", str(tmp_path), "app:app"]
    process = spawn(argv)
    try:
        wait_port(port)
        assert get(port) == "one"
        deadline = time.monotonic() + 30
        while len(old_workers := children(process.pid)) < 2:
            assert time.monotonic() < deadline, "gunicorn never started 2 workers"
            time.sleep(0.05)
        (tmp_path / "app.py").write_text(WSGI_APP.format(version="two"))
        reloader = UvicornReloader.from_arg(f"http://127.0.0.1:{port}/")
        assert reloader.reload(process, argv) is process  # the master stays
        assert process.poll() is None
        new_workers = children(process.pid)
        assert len(new_workers) == 2
        assert not new_workers & old_workers
        assert {get(port) for _ in range(6)} == {"two"}
        assert "SIGHUP, 2 worker(s) replaced" in reloader.last_detail
    finally:
        halt(process)


def test_an_app_that_dies_on_start_is_a_reload_error(tmp_path):
    from velocity.livepatch.reloaders import ReloadError

    (tmp_path / "app.py").write_text("raise SystemExit(3)\n")
    argv = [sys.executable, "-m", "uvicorn", "app:app", "--port", str(free_port())]
    argv += ["--app-dir", str(tmp_path)]
    process = spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    reloader = UvicornReloader(timeout=20)
    with pytest.raises(ReloadError, match="exited with 3"):
        reloader.reload(process, argv)
    halt(process)


def test_watch_into_a_supervising_agent_reloads_gunicorn(tmp_path):
    """The whole loop: livepatch watch -> agent run --reload uvicorn -> gunicorn HUP."""
    pytest.importorskip("gunicorn", reason="pip install livepatch-uvicorn[test]")
    from velocity.livepatch.client import Syncer
    from velocity.livepatch.client import SyncResult
    from velocity.livepatch.client import parse_target
    from velocity.livepatch.commands.watch import describe
    from velocity.livepatch.watch import Watcher

    src, root = tmp_path / "src", tmp_path / "root"
    for where in (src, root):
        where.mkdir()
        (where / "app.py").write_text(WSGI_APP.format(version="one"))
    port = free_port()
    argv = [sys.executable, "-m", "velocity.livepatch.agent", "run", "--root", str(root)]
    argv += ["--reload", f"uvicorn:http://127.0.0.1:{port}/", "--grace", "1", "--"]
    argv += [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1"]
    argv += ["--chdir", str(root), "app:app"]
    log = (tmp_path / "agent.log").open("wb")
    agent = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    results: list[SyncResult] = []
    try:
        wait_port(port)
        assert get(port) == "one"
        target = parse_target(f"local://{root}")
        with (
            Syncer(src, target, state_dir=tmp_path / "state") as syncer,
            Watcher(syncer, results.append) as watcher,
        ):
            watcher.start()
            thread = threading.Thread(target=watcher.run)
            thread.start()
            try:
                (src / "app.py").write_text(WSGI_APP.format(version="two"))
                deadline = time.monotonic() + 30
                while not results:
                    assert time.monotonic() < deadline, (tmp_path / "agent.log").read_text()
                    time.sleep(0.05)
            finally:
                watcher.stop()
                thread.join(10)
        assert get(port) == "two"
        outcome = results[0].reload
        assert outcome is not None
        assert outcome.ok, outcome
        assert outcome.strategy == "uvicorn"
        assert "; reload uvicorn ok in " in describe(results[0])
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)
        log.close()
