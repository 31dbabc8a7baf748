"""The Dockerfile: hadolint finds nothing, both targets are there and sound, and (with a Docker
engine) the images build from a Debian base made on this machine and run."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from velocity_github_app import create_app
from velocity_github_app import open_stores

from velocity.core.config import GitHubSettings
from velocity.core.config import QuantumSettings
from velocity.core.config import Settings

from .conftest import BIN
from .conftest import REPO

DOCKERFILE = REPO / "Dockerfile"
posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="the image's scripts are POSIX; they run in Linux images"
)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "hadolint", "--config", REPO / ".hadolint.yaml", "--no-color", path],
        capture_output=True,
        text=True,
        check=False,
    )


def stages() -> dict[str, list[str]]:
    """Each stage's instructions (continuation lines joined), by stage name."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if match := re.match(r"FROM \S+ AS (\S+)$", line):
            current = out.setdefault(match[1], [])
        elif line and not line.startswith("#"):
            current.append(line)
    return out


def test_hadolint_finds_nothing() -> None:
    proc = hadolint(DOCKERFILE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_hadolint_would_fail_on_a_finding(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\nUSER root\n")
    proc = hadolint(bad)
    assert proc.returncode == 1
    assert "DL3006" in proc.stdout  # untagged image


@pytest.mark.parametrize("target", ["agent", "app"])
def test_runtime_targets(target: str) -> None:
    lines = stages()[target]
    keywords = [line.split()[0] for line in lines]
    assert keywords.count("USER") == 1
    (user,) = [line for line in lines if line.startswith("USER ")]
    assert re.fullmatch(r"USER [1-9]\d+:[1-9]\d+", user)  # numeric: runAsNonRoot can check it
    assert "HEALTHCHECK" in keywords
    assert "ENTRYPOINT" in keywords
    # Only the installed venv comes in: no sources, no wheels.
    copies = [line for line in lines if line.startswith("COPY ")]
    assert all("--from=builder" not in c and " src/" not in c for c in copies), copies


def test_build_context_holds_what_the_dockerfile_copies() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for lines in stages().values():
        for line in lines:
            if line.startswith("COPY ") and "--from=" not in line:
                for source in line.split()[1:-1]:
                    path = source.rstrip("/*")
                    assert any(path == a or path.startswith(a + "/") for a in allowed), source
                    assert list(REPO.glob(path)), source


def test_app_healthcheck_path_answers(tmp_path: Path) -> None:
    (healthcheck,) = [line for line in stages()["app"] if line.startswith("HEALTHCHECK")]
    (entrypoint,) = [line for line in stages()["app"] if line.startswith("ENTRYPOINT")]
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", healthcheck)
    assert url, healthcheck
    assert f'"--port", "{url[1]}"' in entrypoint
    settings = Settings(github=GitHubSettings(webhook_secret=SecretStr("s")))
    stores = open_stores(QuantumSettings(sqlite_path=tmp_path / "q.sqlite3"))
    app = create_app(settings, stores=stores, github_client_factory=no_github)

    response = asyncio.run(get(app, url[2]))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def no_github() -> Any:
    raise AssertionError("the health check must not call GitHub")


async def get(app: Any, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        return await client.get(path)


def fake_agent(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "livepatch-agent"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@posix_only
@pytest.mark.parametrize("tls", [False, True])
def test_agent_entrypoint_arguments(tmp_path: Path, tls: bool) -> None:
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    if tls:
        (tls_dir / "ca.crt").write_text("")
    env = {**fake_agent(tmp_path), "LIVEPATCH_ROOT": "/srv", "LIVEPATCH_TLS_DIR": str(tls_dir)}
    env["LIVEPATCH_RELOAD"] = "signal:HUP"
    proc = subprocess.run(
        [REPO / "deploy" / "docker" / "agent-entrypoint.sh", "python3", "app.py", "--flag"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listen = ["--listen", "0.0.0.0:7070", "--tls-dir", str(tls_dir)] if tls else []
    expected = ["run", "--root", "/srv", *listen, "--reload", "signal:HUP"]
    assert proc.stdout.splitlines() == [*expected, "--", "python3", "app.py", "--flag"]


def agent_health(tmp_path: Path, port: int, tls: bool) -> int:
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir(exist_ok=True)
    if tls:
        (tls_dir / "ca.crt").write_text("")
    env = {
        **os.environ,
        "LIVEPATCH_ROOT": str(tmp_path),
        "LIVEPATCH_TLS_DIR": str(tls_dir),
        "LIVEPATCH_LISTEN": f"0.0.0.0:{port}",
    }
    script = REPO / "deploy" / "docker" / "agent-healthcheck.py"
    proc = subprocess.run([sys.executable, script], env=env, capture_output=True, check=False)
    return proc.returncode


@posix_only
def test_agent_healthcheck(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert agent_health(tmp_path, port, tls=False) == 0
        assert agent_health(tmp_path, port, tls=True) == 0
    assert agent_health(tmp_path, port, tls=True) == 1
