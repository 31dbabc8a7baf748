from __future__ import annotations

import json
import signal
from typing import Any

import httpx
import pytest
from app_support import spawned_app
from velocity_github_app.cli import app_client_factory
from velocity_github_app.cli import main

from velocity.core.config import GitHubSettings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("VELOCITY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "--reconcile-interval" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert "0.1.0" in capsys.readouterr().out


def test_refuses_to_serve_without_a_webhook_secret(clean_env, capsys):
    assert main([]) == 2
    assert "webhook_secret" in capsys.readouterr().err


def test_refuses_to_serve_without_app_credentials(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("VELOCITY_GITHUB__WEBHOOK_SECRET", "s3cret-value")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "app_id" in err
    assert "s3cret-value" not in err


def test_app_client_factory_authenticates_as_the_app(double):
    settings = GitHubSettings(
        app_id=double.app_id, private_key=double.private_key_pem, api_url=double.base_url
    )
    gh = app_client_factory(settings)()
    response: Any = gh.rest.apps.get_authenticated()
    assert response.json()["id"] == double.app_id


def test_console_script_serves_and_logs_through_velocity(double, tmp_path):
    with spawned_app(double, tmp_path) as (url, proc):
        assert httpx.get(url + "/healthz").json()["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any("Uvicorn running" in line.get("event", "") for line in lines), err
    assert double.webhook_secret not in err
    assert (tmp_path / ".velocity" / "github-app.sqlite3").exists()
