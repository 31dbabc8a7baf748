"""The CLI conventions every tool shares: one-line errors, exit codes, --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from velocity import __version__
from velocity.core.cli import EXIT_INTERNAL
from velocity.core.cli import EXIT_USAGE
from velocity.core.cli import json_option
from velocity.core.cli import run
from velocity.core.errors import ConfigError
from velocity.core.errors import VelocityError

TOOLS = ["velocity", "dep-ci", "livepatch", "livepatch-agent", "quantum"]


def _make_cli(behaviour: str) -> click.Command:
    @click.command()
    @json_option
    def cli(as_json: bool) -> int:
        if behaviour == "user-error":
            raise ConfigError("velocity.yaml: log.level: bad\nsecond line")
        if behaviour == "bug":
            raise RuntimeError("boom with ghp_" + "a" * 36)
        if behaviour == "interrupt":
            raise KeyboardInterrupt
        if behaviour == "code":
            return 3
        click.echo("json" if as_json else "human")
        return 0

    return cli


def test_success_returns_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(_make_cli("ok"), ["--json"], "tool") == 0
    assert capsys.readouterr().out == "json\n"


def test_command_return_value_is_the_exit_code() -> None:
    assert run(_make_cli("code"), [], "tool") == 3


def test_user_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(_make_cli("user-error"), [], "tool") == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "tool: error: velocity.yaml: log.level: bad second line\n"


def test_unknown_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(_make_cli("ok"), ["--nope"], "tool") == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("tool: error: No such option")
    assert "--nope" in err


def test_bug_is_one_line_scrubbed_exit_70(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VELOCITY_DEBUG", raising=False)
    assert run(_make_cli("bug"), [], "tool") == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "internal error: RuntimeError" in err
    assert "ghp_" + "a" * 36 not in err
    assert "Traceback" not in err


def test_debug_env_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELOCITY_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        run(_make_cli("bug"), [], "tool")


def test_interrupt_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(_make_cli("interrupt"), [], "tool") == 130
    # click echoes a newline first so the message never shares a line with ^C
    assert capsys.readouterr().err.strip() == "tool: error: interrupted"


def test_velocity_error_keeps_its_exit_code() -> None:
    assert VelocityError("x", exit_code=4).exit_code == 4
    assert ConfigError("x").exit_code == EXIT_USAGE


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_has_version(tool: str) -> None:
    exe = Path(sys.executable).with_name(tool)
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{tool} {__version__}\n"


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_rejects_unknown_options_in_one_line(tool: str) -> None:
    exe = Path(sys.executable).with_name(tool)
    proc = subprocess.run([exe, "--no-such-flag"], capture_output=True, text=True, check=False)
    assert proc.returncode == EXIT_USAGE
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"{tool}: error: ")
    assert "Traceback" not in proc.stderr
