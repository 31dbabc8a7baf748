from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pytest

from velocity.livepatch.agent._paths import STATE_DIR


def _snapshot(top: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Every entry below *top* (the agent's state dir left out): kind, content or target, mode."""
    found: dict[str, tuple[str, bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d != STATE_DIR]
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(top).as_posix()
            st = path.lstat()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path), 0)
            elif path.is_dir():
                found[rel] = ("dir", b"", st.st_mode & 0o7777)
            elif path.is_file():
                found[rel] = ("file", path.read_bytes(), st.st_mode & 0o7777)
            else:
                found[rel] = ("other", b"", st.st_mode)
    return found


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, tuple[str, bytes | str, int]]]:
    return _snapshot


# --- the supervising agent (``livepatch-agent run``), shared by the supervisor tests ---

APP = """\
import os, pathlib, signal, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

here = pathlib.Path(__file__).parent


def read(name, default):
    path = here / name
    return path.read_text().strip() if path.exists() else default


def show(*_):
    text = read("msg.txt", "none")
    (here / "runtime.txt").write_text(f"{os.getpid()} saw {text}\\n")  # the app's own file
    print(f"pid {os.getpid()} msg: {text}", flush=True)
    print(f"stderr {text}", file=sys.stderr, flush=True)
    if text == "crash":
        os._exit(3)


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if read("health.txt", "ok") == "ok" else 500)
        self.end_headers()

    def log_message(self, *args):
        pass


signal.signal(signal.SIGHUP, show)
signal.signal(signal.SIGUSR1, show)
if len(sys.argv) > 1:
    server = HTTPServer(("127.0.0.1", int(sys.argv[1])), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
show()
while True:
    signal.pause()
"""


class Supervised:
    """A real ``livepatch-agent run -- python app.py`` on *root*; its output is collected."""

    def __init__(self, root: Path, *options: str, app_args: Sequence[str] = ()) -> None:
        self.root = root
        argv = [sys.executable, "-m", "velocity.livepatch.agent", "run", "--root", str(root)]
        argv += [*options, "--", sys.executable, str(root / "app.py"), *app_args]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._collect, args=(pipe,), daemon=True)
            for pipe in (self.proc.stdout, self.proc.stderr)
        ]
        for reader in self._readers:
            reader.start()
        try:
            # Generous: two interpreters start here, on machines that may be busy.
            found = self.wait_for(r"supervising pid (\d+)", timeout=60)
            self.first_pid = int(found.group(1))
            self.wait_for(rf"pid {self.first_pid} msg: ", timeout=60)  # its handlers are set
        except BaseException:
            self.stop()
            raise
        listening = [re.search(r"listening on (\S+)", line) for line in self.lines]
        self.address = next((m.group(1) for m in listening if m), None)

    def _collect(self, pipe: IO[str]) -> None:
        with pipe:
            for line in pipe:
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = 20.0) -> re.Match[str]:
        """The first line (from index *after*) matching *pattern*; fails after *timeout*."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if found := re.search(pattern, line):
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no line matches {pattern!r}: {self.lines}")
                self._changed.wait(left)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            # Generous under load; a supervisor that ignores SIGTERM still fails the test.
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise
        for reader in self._readers:
            reader.join(10)
        return code


@pytest.fixture
def app_root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    (path / "app.py").write_text(APP)
    (path / "msg.txt").write_text("one\n")
    return path


@pytest.fixture
def supervise(app_root: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[Supervised] = []

    def start(*options: str, app_args: Sequence[str] = ()) -> Supervised:
        agent = Supervised(app_root, *options, app_args=app_args)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        agent.stop()


@pytest.fixture
def app_src(tmp_path: Path, app_root: Path) -> Path:
    """What the developer edits: the app and its message; the app's own file is ignored."""
    path = tmp_path / "src"
    path.mkdir()
    for name in ("app.py", "msg.txt"):
        (path / name).write_bytes((app_root / name).read_bytes())
    (path / ".livepatchignore").write_text("runtime.txt\n")
    return path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project CA, an agent ``box`` allowing client ``alice``, and alice's certificate."""
    from velocity.livepatch.cli import main

    certs = tmp_path_factory.mktemp("pki") / "certs"
    assert main(["certs", "init", "--dir", str(certs)]) == 0
    assert main(["certs", "issue", "agent", "box", "--dir", str(certs), "--allow", "alice"]) == 0
    assert main(["certs", "issue", "client", "alice", "--dir", str(certs)]) == 0
    return certs


@pytest.fixture
def alive() -> Callable[[int], bool]:
    """Whether a pid is a live (not zombie) process."""
    return _pid_alive


_TGKILL = {"x86_64": 234, "aarch64": 131}  # syscall numbers: Python has no tgkill


@pytest.fixture
def signal_worker_thread() -> Callable[[int, int], int]:
    """Send a signal to one thread of a process other than its main thread."""
    return _signal_worker_thread


def _signal_worker_thread(pid: int, signum: int) -> int:
    """Send *signum* to one thread of *pid* other than its main thread; returns its tid.

    The kernel may hand a process-directed signal to any thread: this makes the unlucky
    case certain.
    """
    import ctypes

    tid = max(int(name) for name in os.listdir(f"/proc/{pid}/task") if int(name) != pid)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(_TGKILL[os.uname().machine], pid, tid, signum) != 0:
        raise OSError(ctypes.get_errno(), f"tgkill({pid}, {tid}, {signum})")
    return tid


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: its parent has not reaped it yet.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False
