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


def test_depci_types(tmp_path: Path) -> None:
    from velocity.depci import Selection
    from velocity.depci import build_graph
    from velocity.depci import select

    (tmp_path / "utils.ts").write_text("export const one = 1;\n")
    (tmp_path / "main.test.ts").write_text('import { one } from "./utils";\n')
    analysis = build_graph(tmp_path, use_cache=False)
    selection = select(analysis, ["utils.ts"])
    assert_type(selection, Selection)
    assert_type(selection.run_all, bool)
    assert_type(selection.tests, list[str])
    assert selection.tests == ["main.test.ts"]


def test_livepatch_types() -> None:
    from velocity.livepatch import Target
    from velocity.livepatch import parse_target

    target = parse_target("ssh://deploy@127.0.0.1:2222/srv/app")
    assert_type(target, Target)
    assert_type(target.port, int | None)
    assert (target.scheme, target.user, target.port, target.path) == (
        "ssh",
        "deploy",
        2222,
        "/srv/app",
    )


def test_quantum_types() -> None:
    from velocity.quantum import Action
    from velocity.quantum import Enqueue
    from velocity.quantum import QueueState
    from velocity.quantum import StartBuild
    from velocity.quantum import make_strategy
    from velocity.quantum import step

    state, actions = step(make_strategy("serial"), QueueState("a" * 40), Enqueue(1, "b" * 40))
    assert_type(state, QueueState)
    assert_type(actions, list[Action])
    assert any(isinstance(action, StartBuild) for action in actions)
