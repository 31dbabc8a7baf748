"""End to end into a real container: the agent runs inside it, reached by docker:// and agent://.

The engine is a private dockerd (velocity.testing.docker). Where it cannot start, every test
here is skipped with dockerd's own error as the reason, and a warning says so: never a pass.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest

from velocity.livepatch.cli import main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import SyncResult
from velocity.livepatch.client import parse_target
from velocity.livepatch.watch import Watcher
from velocity.testing.docker import DockerEngine
from velocity.testing.docker import DockerUnavailable

pytestmark = pytest.mark.slow

AGENT = f"{sys.executable} -m velocity.livepatch.agent"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerEngine]:
    docker = DockerEngine(tmp_path_factory.mktemp("docker"))
    try:
        docker.start()
        docker.base_image()
    except DockerUnavailable as exc:
        docker.stop()
        reason = f"NO DOCKER ENGINE, container tests NOT RUN: {exc}"
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(reason, UserWarning, stacklevel=1)
        pytest.skip(reason)
    yield docker
    docker.stop()


def run_container(engine: DockerEngine, *command: str, extra: tuple[str, ...] = ()) -> str:
    name = f"lp-{uuid.uuid4().hex[:10]}"
    argv = ["run", "-d", "--name", name, "--network", "host", *engine.python_run_args(), *extra]
    engine.docker(
        *argv, engine.base_image(), "sh", "-c", "mkdir -p /app && exec " + " ".join(command)
    )
    return name


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def in_container(engine: DockerEngine, name: str, *argv: str) -> str:
    return engine.docker("exec", name, *argv).stdout


def tree(src: Path) -> None:
    (src / "pkg").mkdir(parents=True)
    for i in range(20):
        (src / f"pkg/m{i}.py").write_text(f"value = {i}\n")
    (src / ".gitignore").write_text("*.log\n")
    (src / "debug.log").write_text("not for the container\n")


def listing(engine: DockerEngine, name: str) -> list[str]:
    out = in_container(
        engine, name, "find", "/app", "-type", "f", "-not", "-path", "*/.livepatch-agent/*"
    )
    return sorted(line.removeprefix("/app/") for line in out.split())


def test_docker_transport_into_a_real_container(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", engine.env["DOCKER_HOST"])
    name = run_container(engine, "sleep", "infinity")
    src = tmp_path / "src"
    tree(src)
    target = parse_target(f"docker://{name}/app")
    with Syncer(src, target, ConnectOptions(agent_command=AGENT), tmp_path / "state") as syncer:
        assert syncer.sync().counts == {"whole": 21}
        (src / "pkg/m0.py").write_text("value = 'before watching'\n")
        results: list[SyncResult] = []
        with Watcher(syncer, results.append) as watcher:
            watcher.start()
            thread = threading.Thread(target=watcher.run)
            thread.start()
            try:
                wait_until(lambda: len(results) == 1)  # run() syncs the whole tree first
                (src / "pkg/m4.py").write_text("value = 'edited in the container'\n")
                wait_until(lambda: len(results) == 2)
            finally:
                watcher.stop()
                thread.join(10)
    assert results[-1].counts == {"whole": 1}
    assert (
        in_container(engine, name, "cat", "/app/pkg/m4.py") == "value = 'edited in the container'\n"
    )
    assert listing(engine, name) == [".gitignore", *sorted(f"pkg/m{i}.py" for i in range(20))]


def test_an_engine_that_cannot_start_says_why(engine, tmp_path):
    broken = DockerEngine(tmp_path / "broken", extra_args=["--storage-driver", "nosuchdriver"])
    with pytest.raises(DockerUnavailable, match=r"dockerd could not start: .*graphdriver"):
        broken.start()


def test_agent_transport_into_a_real_container(engine, tmp_path):
    certs = tmp_path / "certs"
    assert main(["certs", "init", "--dir", str(certs)]) == 0
    assert main(["certs", "issue", "agent", "box", "--dir", str(certs), "--allow", "alice"]) == 0
    assert main(["certs", "issue", "client", "alice", "--dir", str(certs)]) == 0
    agent_dir = certs / "agents/box"
    serve = [*AGENT.split(), "serve", "--root", "/app", "--listen", "127.0.0.1:0"]
    serve += ["--tls-dir", "/certs"]
    argv = ["docker", "run", "--rm", "--name", f"lp-{uuid.uuid4().hex[:10]}", "--network", "host"]
    argv += [*engine.python_run_args(), "-v", f"{agent_dir}:/certs:ro", engine.base_image()]
    argv += ["sh", "-c", "mkdir -p /app && exec " + " ".join(serve)]
    proc = subprocess.Popen(argv, env=engine.env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"listening on (\S+)", line)
        assert match, line
        name = argv[argv.index("--name") + 1]
        src = tmp_path / "src"
        tree(src)
        options = ConnectOptions(tls_dir=str(certs))  # ca.crt, client.crt, client.key
        target = parse_target(f"agent://{match.group(1)}")
        with Syncer(src, target, options, tmp_path / "state") as syncer:
            assert syncer.sync().counts == {"whole": 21}
            (src / "pkg/m9.py").write_text("value = 'over grpc'\n")
            assert syncer.sync(["pkg/m9.py"]).counts == {"whole": 1}
        assert in_container(engine, name, "cat", "/app/pkg/m9.py") == "value = 'over grpc'\n"
        assert "debug.log" not in listing(engine, name)
    finally:
        engine.docker("rm", "-f", argv[argv.index("--name") + 1], check=False)
        proc.wait(timeout=30)
        proc.stderr.close()
