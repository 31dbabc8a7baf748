"""The public API's types, checked by mypy (`make lint`) and executed by pytest."""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

import click
import structlog
from pydantic import SecretStr

import velocity
from velocity.core.cli import run
from velocity.core.config import Settings
from velocity.core.config import load_settings
from velocity.core.errors import ConfigError
from velocity.core.errors import VelocityError
from velocity.core.log import Scrubber
from velocity.core.log import get_logger
from velocity.core.log import scrub_text
from velocity.core.log import scrub_value


def test_version_is_a_string() -> None:
    assert_type(velocity.__version__, str)
    assert velocity.__version__.count(".") >= 2


def test_settings_types(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path, environ={})
    assert_type(settings, Settings)
    assert_type(settings.github.token, SecretStr | None)
    assert_type(settings.sources, tuple[str, ...])
    assert settings.sources == ("defaults",)


def test_log_types() -> None:
    assert_type(scrub_text("x"), str)
    assert_type(scrub_value({"a": 1}), object)
    assert_type(get_logger("x"), structlog.stdlib.BoundLogger)
    assert_type(Scrubber().scrub_text("password=hunter2"), str)
    assert "hunter2" not in scrub_text("password=hunter2")


def test_errors_and_cli_types() -> None:
    error = ConfigError("velocity.yaml: log.level: bad")
    assert_type(error.exit_code, int)
    assert_type(error.message, str)
    assert isinstance(error, VelocityError)
    assert_type(run(click.Command("noop"), [], "noop"), int)
