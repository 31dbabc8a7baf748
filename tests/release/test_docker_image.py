"""Build both Dockerfile targets in a private Docker engine and run them.

The engine is velocity.testing.docker's own dockerd; the base is its debootstrap image, imported
from the tarball scripts/docker-prepare.sh caches (``make test`` runs it), passed as
``BASE_IMAGE``. The engine has no bridge, so the build uses ``--network host`` to reach Debian's,
PyPI's and npm's registries, and the containers run with ``--network none`` (loopback only: no
port can clash with the host's). The engine's data root stays in the cache between sessions, so
a rebuild reuses every layer its inputs left alone. Where the engine cannot start, every test is
skipped with dockerd's own error and a warning says so: never a pass. See docs/containers.md.
"""

from __future__ import annotations

import json
import re
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.testing.docker import DockerEngine
from velocity.testing.docker import DockerUnavailable
from velocity.testing.docker import cache_dir

from .conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(sys.platform != "linux", reason="the private dockerd runs on Linux only"),
]

IMAGES = {"agent": "velocity-test/agent:dev", "app": "velocity-test/app:dev"}
USER = "10001:10001"
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
APP = """\
import http.server

class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{body}")

http.server.HTTPServer(("127.0.0.1", 8080), Hello).serve_forever()
"""
PARENTS = """\
import os, sys
for pid in filter(str.isdigit, os.listdir("/proc")):
    if open(f"/proc/{pid}/cmdline").read().split("\\0")[:-1] == sys.argv[1:]:
        print(open(f"/proc/{pid}/stat").read().split()[3])
"""


@pytest.fixture(scope="module")
def engine() -> Iterator[DockerEngine]:
    import fcntl

    workdir = cache_dir() / "image-test-engine"
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one dockerd per data root: another session waits
        docker = DockerEngine(workdir)
        try:
            docker.start()
            docker.base_image()
        except DockerUnavailable as exc:
            docker.stop()
            reason = f"NO DOCKER ENGINE, the images were NOT built: {exc}"
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                warnings.warn(reason, UserWarning, stacklevel=1)
            pytest.skip(reason)
        try:
            yield docker
        finally:
            docker.stop()


def build(engine: DockerEngine, tag: str, *args: str, context: Path = REPO) -> str:
    argv = ["build", "--network", "host", *args, "--tag", tag, str(context)]
    done = engine.docker(*argv, check=False, timeout=1500)
    if done.returncode:  # the classic builder writes the failing step's output to stdout
        pytest.fail(f"docker build --tag {tag} failed:\n{done.stdout[-4000:]}\n{done.stderr}")
    return done.stdout


def stage_images(output: str) -> dict[str, str]:
    """Each stage's last image, from the classic builder's output (BuildKit's has none)."""
    images, stage = {}, ""
    for line in output.splitlines():
        if match := re.match(r"Step \d+/\d+ : FROM \S+ AS (\S+)", line, re.IGNORECASE):
            stage = match[1]
        elif stage and (match := re.fullmatch(r" ---> ([0-9a-f]{12})", line)):
            images[stage] = match[1]
    return images


@pytest.fixture(scope="module")
def images(engine: DockerEngine) -> dict[str, str]:
    args = ["--build-arg", f"BASE_IMAGE={engine.base_image()}"]
    args += ["--build-arg", f"EXTRA_CA_CERTS={local_cas()}"]
    # app is the last stage: the classic builder builds every stage before it, agent included.
    output = build(engine, IMAGES["app"], *args, "--target", "app")
    # Tagged, every stage's image survives the prune of what earlier sessions built (and left
    # dangling), and with it the next build's cache.
    for stage, image in stage_images(output).items():
        engine.docker("tag", image, IMAGES.get(stage, f"velocity-test/{stage}:dev"))
    if engine.docker("image", "inspect", IMAGES["agent"], check=False).returncode:
        build(engine, IMAGES["agent"], *args, "--target", "agent")
    engine.docker("image", "prune", "--force", timeout=600)
    return IMAGES


def local_cas() -> str:
    """The CAs added to this machine's trust store (Debian's place for them), as PEM.

    A network whose proxy inspects TLS needs them trusted in the build too.
    """
    return "".join(path.read_text() for path in sorted(LOCAL_CAS.glob("*.crt")))


def run_detached(engine: DockerEngine, name: str, image: str, *args: str) -> str:
    engine.docker("rm", "--force", name, check=False)
    engine.docker("run", "--detach", "--name", name, "--network", "none", "--health-interval",
                  "1s", "--health-start-period", "30s", *args, image)  # fmt: skip
    return name


def wait_healthy(engine: DockerEngine, name: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    status = ""
    while time.monotonic() < deadline:
        status = engine.docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout
        if status.strip() in ("healthy", "unhealthy"):
            break
        time.sleep(0.5)
    return status.strip()


def healthcheck(engine: DockerEngine, name: str) -> int:
    """Run the image's own HEALTHCHECK command in the container; its exit status."""
    spec = engine.docker("inspect", "--format", "{{json .Config.Healthcheck.Test}}", name).stdout
    kind, *command = json.loads(spec)
    assert kind == "CMD", spec
    return engine.docker("exec", name, *command, check=False).returncode


def in_container(engine: DockerEngine, name: str, *argv: str) -> str:
    return engine.docker("exec", name, *argv).stdout


def get(engine: DockerEngine, name: str, url: str) -> str:
    code = f"import urllib.request as u; r = u.urlopen({url!r}, timeout=5)"
    code += "; print(r.status, r.read().decode())"
    return in_container(engine, name, "python3", "-c", code).strip()


@pytest.mark.parametrize("target", sorted(IMAGES))
def test_image_runs_as_non_root_with_a_healthcheck(engine, images, target):
    proc = engine.docker("image", "inspect", "--format", "{{.Config.User}}|{{.Config.Healthcheck}}",
                         images[target])  # fmt: skip
    user, health = proc.stdout.strip().split("|", 1)
    assert user == USER
    assert "CMD" in health


def test_tools_run_in_the_images(engine, images):
    run = ["run", "--rm", "--network", "none", "--entrypoint"]
    agent = engine.docker(*run, "livepatch-agent", images["agent"], "--version")
    assert agent.stdout.startswith("livepatch-agent ")
    app = engine.docker(*run, "quantum", images["app"], "simulate", "--json")
    assert '"merged"' in app.stdout


@pytest.fixture
def agent_app(engine, images, tmp_path) -> Iterator[str]:
    """The documented use of the agent image: an app image FROM it, its code in /app."""
    (tmp_path / "app.py").write_text(APP.format(body="v1"))
    copy = f"COPY --chown={USER} app.py /app/app.py"
    (tmp_path / "Dockerfile").write_text(
        f'FROM {images["agent"]}\n{copy}\nCMD ["python3", "app.py"]\n'
    )
    build(engine, "velocity-test/agent-app:dev", context=tmp_path)
    name = run_detached(engine, "velocity-test-agent", "velocity-test/agent-app:dev")
    try:
        yield name
    finally:
        engine.docker("rm", "--force", name, check=False)


def test_agent_supervises_the_app(engine, agent_app, tmp_path, monkeypatch):
    name = agent_app
    assert wait_healthy(engine, name) == "healthy", engine.docker("logs", name).stderr[-3000:]
    assert healthcheck(engine, name) == 0
    pid1 = in_container(engine, name, "cat", "/proc/1/cmdline").split("\0")
    assert pid1[1].endswith("/livepatch-agent"), pid1
    assert pid1[2] == "run", pid1
    assert in_container(engine, name, "id", "-u", "-n").strip() == "velocity"
    assert in_container(engine, name, "sh", "-c", "grep ^Uid: /proc/1/status").split()[1] == "10001"
    assert get(engine, name, "http://127.0.0.1:8080/") == "200 v1"
    assert parents_of(engine, name, "python3", "app.py") == ["1"]  # the agent's child
    # A batch through docker:// reaches the supervising agent, which restarts the app on it.
    monkeypatch.setenv("DOCKER_HOST", engine.env["DOCKER_HOST"])
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(APP.format(body="v2"))
    with Syncer(src, parse_target(f"docker://{name}/app"), ConnectOptions(), tmp_path / "s") as s:
        assert s.sync().counts == {"whole": 1}
    deadline = time.monotonic() + 30
    while (body := get_or_none(engine, name)) != "200 v2" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert body == "200 v2"
    assert parents_of(engine, name, "python3", "app.py") == ["1"]


def parents_of(engine: DockerEngine, name: str, *argv: str) -> list[str]:
    """The parent pid of each process in the container that runs exactly *argv*."""
    return in_container(engine, name, "python3", "-c", PARENTS, *argv).split()


def get_or_none(engine: DockerEngine, name: str) -> str | None:
    try:
        return get(engine, name, "http://127.0.0.1:8080/")
    except RuntimeError:
        return None  # between the old app's exit and the new one's listen


def test_app_answers_healthz(engine, images):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    env = {"VELOCITY_GITHUB__APP_ID": "1", "VELOCITY_GITHUB__PRIVATE_KEY": pem,
           "VELOCITY_GITHUB__WEBHOOK_SECRET": "test-secret"}  # fmt: skip
    name = "velocity-test-app"
    run_detached(engine, name, images["app"], *[f"--env={k}={v}" for k, v in env.items()])
    try:
        assert wait_healthy(engine, name) == "healthy", engine.docker("logs", name).stderr[-3000:]
        assert healthcheck(engine, name) == 0
        assert get(engine, name, "http://127.0.0.1:8000/healthz").startswith("200 ")
        assert in_container(engine, name, "id", "-u").strip() == "10001"
        assert in_container(engine, name, "git", "--version").startswith("git version ")
    finally:
        engine.docker("rm", "--force", name, check=False)
