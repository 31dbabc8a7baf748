"""Velocity's settings, from defaults, files, the environment and the command line.

Sources, lowest precedence first: defaults, ``[tool.velocity]`` in pyproject.toml,
velocity.yaml (or .velocity.yaml, or the file given with ``--config``),
``VELOCITY_*`` environment variables (nested with ``__``, e.g.
``VELOCITY_LOG__LEVEL``), then command-line flags.  Unknown keys are errors;
secrets are :class:`~pydantic.SecretStr` and never appear in error messages.
"""

from __future__ import annotations

from velocity.core.config._load import load_settings
from velocity.core.config._model import DepciSettings
from velocity.core.config._model import GitHubSettings
from velocity.core.config._model import LivepatchSettings
from velocity.core.config._model import LogSettings
from velocity.core.config._model import QuantumSettings
from velocity.core.config._model import Settings

__all__ = [
    "DepciSettings",
    "GitHubSettings",
    "LivepatchSettings",
    "LogSettings",
    "QuantumSettings",
    "Settings",
    "load_settings",
]
