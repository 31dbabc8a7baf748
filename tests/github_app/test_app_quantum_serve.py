"""`quantum serve` starts the GitHub App configured by velocity.core.config."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
from app_support import spawned_app

from velocity.quantum.cli import main


def test_quantum_serve_starts_the_app(double, tmp_path):
    quantum = Path(sys.executable).with_name("quantum")
    with spawned_app(double, tmp_path, command=[str(quantum), "serve"]) as (url, proc):
        assert httpx.get(url + "/healthz").json()["status"] == "ok"
        assert httpx.get(url + "/metrics").status_code == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert double.webhook_secret not in err
    assert (tmp_path / ".velocity" / "github-app.sqlite3").exists()


def test_quantum_serve_without_a_webhook_secret_is_one_line(monkeypatch, tmp_path, capsys):
    for name in [n for n in __import__("os").environ if n.startswith("VELOCITY_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("quantum: error: github.webhook_secret must be set")
