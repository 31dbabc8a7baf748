"""Helpers the dashboard tests share: small real git repositories, older store records."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import redis


def git(repo: Path, *args: str) -> str:
    env = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    return subprocess.run(
        ["git", "-C", str(repo), *env, *args], check=True, capture_output=True, text=True
    ).stdout


def make_repo(root: Path, modules: int = 20, tests: int = 4) -> Path:
    """A package of *modules* files importing each other in a chain, and tests of some."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    pkg = root / "src" / "shop"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i in range(1, modules + 1):
        dep = f"from shop import mod{i - 1}\n" if i > 1 else ""
        (pkg / f"mod{i}.py").write_text(f"{dep}VALUE = {i}\n")
    (root / "tests").mkdir()
    for i in range(1, tests + 1):
        target = i * (modules // tests)
        (root / "tests" / f"test_mod{target}.py").write_text(
            f"from shop import mod{target}\n\ndef test_value():\n    assert mod{target}.VALUE\n"
        )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def write_as_older_velocity(store_url: str, pr: int, final: str) -> None:
    """Append a final state the way a store written before 0.2 did: with no reason."""
    if store_url.startswith("redis"):
        client = redis.Redis.from_url(store_url)
        try:
            client.rpush("velocity:quantum:finished", f"{pr}:{final}")
        finally:
            client.close()
        return
    with closing(sqlite3.connect(store_url)) as db, db:
        db.execute("INSERT INTO finished (pr, final) VALUES (?, ?)", (pr, final))
