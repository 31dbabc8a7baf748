from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import cast

import httpx
import uvicorn
from githubkit import AppAuthStrategy
from githubkit import GitHub
from starlette.applications import Starlette
from velocity_github_app import AppConfig
from velocity_github_app import Runner

from velocity.core.config import Settings
from velocity.core.config import load_settings
from velocity.testing import free_port
from velocity.testing.github import GitHubDouble

OWNER, REPO = "velocity", "demo"
LABEL = "quantum:merge"
# The double renders every comment author as "NONE"; real installations keep the default.
CONFIG = AppConfig(command_associations=frozenset({"NONE", "OWNER", "MEMBER", "COLLABORATOR"}))


def make_settings(double: GitHubDouble, tmp_path: Path) -> Settings:
    return load_settings(
        cwd=tmp_path,
        environ={},
        overrides={
            "github.webhook_secret": double.webhook_secret,
            "github.app_id": double.app_id,
            "github.private_key": double.private_key_pem,
            "github.api_url": double.base_url,
        },
    )


def client_factory(double: GitHubDouble) -> Callable[[], GitHub[Any]]:
    def factory() -> GitHub[Any]:
        auth = AppAuthStrategy(**double.client_kwargs())
        return GitHub(auth, base_url=double.base_url, auto_retry=False)

    return factory


class Served:
    """The app under uvicorn on a loopback port, wired to the double."""

    def __init__(self, app: Starlette, double: GitHubDouble) -> None:
        self.app, self.double = app, double
        self.runner: Runner = app.state.runner
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.01)
        self.double.set_webhook(self.url + "/webhook")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def settle(self, rounds: int = 50) -> None:
        """Deliver every pending webhook and wait for the runner, until both are quiet."""
        for _ in range(rounds):
            sent = self.double.deliver_pending()
            assert all(d.status_code in (200, 202) for d in sent), [d.status_code for d in sent]
            assert self.runner.wait_idle(30)
            if not sent and not self.double.webhooks.pending:
                return
        raise AssertionError("the app and the double never settled")

    def reconcile(self) -> None:
        self.runner.reconcile_soon()
        assert self.runner.wait_idle(30)


@dataclass
class CI:
    """A test CI worker: reports results on speculative branches through the double."""

    double: GitHubDouble

    def client(self) -> GitHub[Any]:
        app = client_factory(self.double)()
        return app.with_auth(app.auth.as_installation(self.double.installation_id))

    def spec_sha(self, build_id: str) -> str:
        sha = self.double.rev_parse(OWNER, REPO, f"refs/heads/quantum/spec/{build_id}")
        assert sha is not None, f"no speculative branch for {build_id}"
        return sha

    def status(self, sha: str, state: str, context: str = "ci/tests") -> None:
        gh = self.client()  # keep a reference: githubkit namespaces hold the client weakly
        gh.rest.repos.create_commit_status(
            OWNER,
            REPO,
            sha,
            state=cast(Any, state),
            context=context,
            description=f"tests {state}",
        )

    def check_run(self, sha: str, conclusion: str, name: str = "ci/lint") -> None:
        gh = self.client()
        gh.rest.checks.create(
            OWNER,
            REPO,
            name=name,
            head_sha=sha,
            status=cast(Any, "completed"),
            conclusion=cast(Any, conclusion),
        )


def open_pr(double: GitHubDouble, branch: str, files: dict[str, str | None]) -> int:
    double.push(OWNER, REPO, branch, files, f"change on {branch}")
    return double.open_pull(OWNER, REPO, branch)


def git(double: GitHubDouble, *args: str) -> str:
    path = double.repo_path(OWNER, REPO)
    return subprocess.run(
        ["git", "-C", str(path), *args], check=True, capture_output=True, text=True
    ).stdout


def statuses(double: GitHubDouble, sha: str) -> list[dict[str, Any]]:
    client = CI(double).client()
    response: Any = client.rest.repos.get_combined_status_for_ref(OWNER, REPO, sha)
    return list(response.json()["statuses"])


class ASGIClient:
    """httpx over the ASGI transport, called synchronously (no server, no lifespan)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


def queue_state(served: Served) -> Any:
    return served.runner.stores.queue(OWNER, REPO).load()


def running(served: Served) -> list[str]:
    return [b.build_id for b in queue_state(served).running()]


def first_parent_subjects(double: GitHubDouble, branch: str = "main") -> list[str]:
    return git(double, "log", "--first-parent", "--format=%s", branch).splitlines()


def spec_branches(double: GitHubDouble) -> list[str]:
    return git(double, "for-each-ref", "--format=%(refname)", "refs/heads/quantum").split()


def our_status(double: GitHubDouble, sha: str) -> dict[str, Any]:
    found = [s for s in statuses(double, sha) if s["context"] == CONFIG.context]
    assert found, f"no {CONFIG.context} status on {sha}"
    return found[0]


@contextlib.contextmanager
def spawned_app(
    double: GitHubDouble, cwd: Path, command: Sequence[str] | None = None, **env: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The console script's code (or *command*) in a process of its own; yields URL and process."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VELOCITY_")}
    environ.update(
        VELOCITY_GITHUB__WEBHOOK_SECRET=double.webhook_secret,
        VELOCITY_GITHUB__APP_ID=str(double.app_id),
        VELOCITY_GITHUB__PRIVATE_KEY=double.private_key_pem,
        VELOCITY_GITHUB__API_URL=double.base_url,
        VELOCITY_LOG__FORMAT="json",
        **env,
    )
    code = "from velocity_github_app.cli import main; raise SystemExit(main())"
    argv = list(command) if command else [sys.executable, "-c", code]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)],
        cwd=cwd,
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/healthz")
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the app never answered"
                time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
