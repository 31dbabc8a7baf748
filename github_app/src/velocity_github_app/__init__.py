"""Quantum Merge as a GitHub App: webhooks in, GitHub calls out, velocity.quantum in between.

:func:`create_app` builds the Starlette application; :class:`Runner` does the work
after each delivery is answered; :class:`RepoQueue` drives one repository's queue.

.. versionadded:: 0.1
"""

from __future__ import annotations

from typing import Any

from velocity_github_app.app import create_app
from velocity_github_app.config import AppConfig
from velocity_github_app.driver import RepoQueue
from velocity_github_app.events import Hint
from velocity_github_app.events import PayloadError
from velocity_github_app.events import parse_command
from velocity_github_app.events import parse_event
from velocity_github_app.forge import ClientFactory
from velocity_github_app.forge import Forge
from velocity_github_app.forge import GitHubForge
from velocity_github_app.ledger import LEDGERS
from velocity_github_app.ledger import Ledger
from velocity_github_app.ledger import RedisLedger
from velocity_github_app.ledger import SQLiteLedger
from velocity_github_app.metrics import Metrics
from velocity_github_app.runner import Runner
from velocity_github_app.stores import Stores
from velocity_github_app.stores import open_stores

__all__ = [
    "LEDGERS",
    "AppConfig",
    "ClientFactory",
    "Forge",
    "GitHubForge",
    "Hint",
    "Ledger",
    "Metrics",
    "PayloadError",
    "RedisLedger",
    "RepoQueue",
    "Runner",
    "SQLiteLedger",
    "Stores",
    "create_app",
    "open_stores",
    "parse_command",
    "parse_event",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("velocity-github-app")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
