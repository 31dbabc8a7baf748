"""The ``velocity`` tool: group options, ``hello``, ``config show``, and its errors."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
import yaml

from velocity import __version__
from velocity.cli import main

TOKEN = "ghp_" + "A1b2C3d4" * 4 + "e5F6"
LEVELS = "Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("VELOCITY_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield tmp_path
    # main() configures logging globally; leave no handler on a closed capture stream.
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def velocity(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert velocity(capsys, "--version") == (0, f"velocity {__version__}\n", "")


def test_unknown_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = velocity(capsys, "--no-such-flag")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("velocity: error: No such option")
    assert "--no-such-flag" in err


def test_no_subcommand_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = velocity(capsys)
    assert code == 2
    assert "hello" in err
    assert "config" in err


def test_hello_greets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = velocity(capsys, "hello", "--name", "Ada")
    assert (code, out) == (0, "Hello, Ada!\n")


def test_hello_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = velocity(capsys, "hello", "--json")
    assert code == 0
    assert json.loads(out) == {
        "greeting": "Hello, world!",
        "config_sources": ["defaults"],
        "token_set": False,
    }


def test_hello_takes_the_token_from_the_config(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "velocity.yaml").write_text(f"github:\n  token: {TOKEN}\n")
    code, out, err = velocity(capsys, "hello", "--json")
    assert code == 0
    assert json.loads(out)["token_set"] is True
    assert json.loads(out)["config_sources"] == ["defaults", "velocity.yaml"]
    assert TOKEN not in out + err


def test_hello_takes_the_token_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELOCITY_GITHUB__TOKEN", TOKEN)
    code, out, err = velocity(capsys, "hello", "--json")
    assert (code, json.loads(out)["token_set"]) == (0, True)
    assert TOKEN not in out + err


def test_hello_logs_the_token_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = velocity(capsys, "hello", "--token", TOKEN)
    assert (code, out) == (0, "Hello, world!\n")
    assert "hello" in err
    assert TOKEN not in err


def test_hello_json_log_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = velocity(capsys, "--log-format", "json", "hello", "--token", TOKEN)
    assert code == 0
    events = [json.loads(line) for line in err.splitlines()]
    hello = next(event for event in events if event["event"] == "hello")
    assert hello["name"] == "world"
    assert hello["sources"] == ["defaults", "command line"]
    assert TOKEN not in err


def test_log_level_flag_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert velocity(capsys, "--log-level", "error", "hello") == (0, "Hello, world!\n", "")


def test_log_level_from_the_environment_filters(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELOCITY_LOG__LEVEL", "ERROR")
    assert velocity(capsys, "hello") == (0, "Hello, world!\n", "")


def test_hello_in_a_real_process_logs_the_token_redacted(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("VELOCITY_")}
    proc = subprocess.run(
        [sys.executable, "-m", "velocity", "hello", "--token", TOKEN],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello, world!\n"
    assert "hello" in proc.stderr
    assert TOKEN not in proc.stderr


def show(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code, out, err = velocity(capsys, *argv, "config", "show", "--json")
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_config_show_masks_every_secret(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(f'[tool.velocity.github]\nprivate_key = "{TOKEN}"\n')
    (project / "velocity.yaml").write_text(f"github:\n  token: {TOKEN}\n")
    monkeypatch.setenv("VELOCITY_GITHUB__WEBHOOK_SECRET", TOKEN)
    monkeypatch.setenv("VELOCITY_QUANTUM__REDIS_URL", f"redis://:{TOKEN}@localhost:6379/0")
    for argv in (("config", "show"), ("config", "show", "--json")):
        code, out, err = velocity(capsys, *argv)
        assert code == 0
        assert TOKEN not in out + err
        assert out.count("'**********'" if "--json" not in argv else '"**********"') == 4


def test_config_show_human_view_is_loadable_yaml(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "velocity.yaml").write_text("quantum:\n  depth: 3\n")
    code, out, _ = velocity(capsys, "config", "show")
    assert code == 0
    first, _, rest = out.partition("\n")
    assert first == "# sources, lowest precedence first: defaults, velocity.yaml"
    assert yaml.safe_load(rest)["quantum"]["depth"] == 3
    (project / "shown.yaml").write_text(out)
    assert show(capsys, "--config", "shown.yaml")["settings"] == show(capsys)["settings"]


def test_command_line_beats_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELOCITY_LOG__LEVEL", "ERROR")
    monkeypatch.setenv("VELOCITY_LOG__FORMAT", "console")
    data = show(capsys, "--log-level", "debug")
    assert data["settings"]["log"] == {"level": "DEBUG", "format": "console"}  # type: ignore[index]
    assert data["sources"] == ["defaults", "environment", "command line"]


def test_config_flag_replaces_velocity_yaml(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "velocity.yaml").write_text("quantum:\n  depth: 2\n")
    (project / "ci.yaml").write_text("quantum:\n  depth: 9\n")
    data = show(capsys, "--config", "ci.yaml")
    assert data["settings"]["quantum"]["depth"] == 9  # type: ignore[index]
    assert data["sources"] == ["defaults", "ci.yaml"]


ERROR_CASES = {
    "yaml-value": (
        {"velocity.yaml": "log:\n  level: loud\n"},
        {},
        [],
        f"velocity.yaml: log.level: {LEVELS}",
    ),
    "yaml-unknown-key": (
        {"velocity.yaml": "quantum:\n  detph: 2\n"},
        {},
        [],
        "velocity.yaml: quantum.detph: Extra inputs are not permitted",
    ),
    "yaml-syntax": (
        {"velocity.yaml": "log: [\n"},
        {},
        [],
        "velocity.yaml:2:1: could not parse YAML: "
        "expected the node content, but found '<stream end>'",
    ),
    "yaml-not-mapping": (
        {"velocity.yaml": "- a\n"},
        {},
        [],
        "velocity.yaml: the top level must be a mapping, not a list",
    ),
    "toml-syntax": (
        {"pyproject.toml": "[tool.velocity]\nx = \n"},
        {},
        [],
        "pyproject.toml:2:5: could not parse TOML: Invalid value",
    ),
    "pyproject-value": (
        {"pyproject.toml": '[tool.velocity.quantum]\ndepth = "x"\n'},
        {},
        [],
        "pyproject.toml: [tool.velocity] quantum.depth: "
        "Input should be a valid integer, unable to parse string as an integer",
    ),
    "env-value": (
        {},
        {"VELOCITY_LOG__LEVEL": "loud"},
        [],
        f"environment: VELOCITY_LOG__LEVEL: {LEVELS}",
    ),
    "env-single-underscore": (
        {},
        {"VELOCITY_LOG_LEVEL": "DEBUG"},
        [],
        "environment: VELOCITY_LOG_LEVEL: not a setting; did you mean VELOCITY_LOG__LEVEL?",
    ),
    "pyproject-not-table": (
        {"pyproject.toml": "[tool]\nvelocity = 1\n"},
        {},
        [],
        "pyproject.toml: [tool.velocity] must be a mapping, not an integer",
    ),
    "two-yaml-files": (
        {"velocity.yaml": "", ".velocity.yaml": ""},
        {},
        [],
        "velocity.yaml and .velocity.yaml both exist; keep one",
    ),
    "config-file-missing": (
        {},
        {},
        ["--config", "nope.yaml"],
        "nope.yaml: config file not found",
    ),
    "config-file-bad": (
        {"conf.yaml": "github:\n  app_id: many\n"},
        {},
        ["--config", "conf.yaml"],
        "conf.yaml: github.app_id: "
        "Input should be a valid integer, unable to parse string as an integer",
    ),
}


@pytest.mark.parametrize(
    ("files", "environ", "argv", "expected"), ERROR_CASES.values(), ids=ERROR_CASES
)
@pytest.mark.parametrize("command", [["hello"], ["config", "show"]])
def test_errors_are_one_line_naming_file_and_key(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    environ: dict[str, str],
    argv: list[str],
    expected: str,
    command: list[str],
) -> None:
    for name, text in files.items():
        (project / name).write_text(text)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert velocity(capsys, *argv, *command) == (2, "", f"velocity: error: {expected}\n")


def test_bad_log_level_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = velocity(capsys, "--log-level", "loud", "hello")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("velocity: error: Invalid value for '--log-level'")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("velocity.yaml", f"quantum:\n  depth: {TOKEN}\n"),
        ("velocity.yaml", f"github:\n  token: {{value: {TOKEN}}}\n"),
        ("pyproject.toml", f'[tool.velocity.log]\nlevel = "{TOKEN}"\n'),
    ],
)
def test_errors_never_show_a_secret(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    (project / name).write_text(text)
    code, out, err = velocity(capsys, "hello")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert TOKEN not in err
    assert "Traceback" not in err
