"""velocity.core.config errors: one line, naming file and key, never echoing a value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic import ValidationError
from pydantic import field_validator

from velocity.core.config import load_settings
from velocity.core.config._errors import describe
from velocity.core.config._layers import Layer
from velocity.core.config._layers import key_path
from velocity.core.errors import ConfigError

TOKEN = "ghp_" + "s" * 36
LEVELS = "Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("VELOCITY_"):
            monkeypatch.delenv(name)
    return tmp_path


def error_of(**kwargs: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(**kwargs)  # type: ignore[arg-type]
    assert info.value.exit_code == 2
    assert "\n" not in info.value.message
    return info.value.message


FILE_CASES = {
    "yaml-bad-value": (
        "velocity.yaml",
        "log:\n  level: loud\n",
        f"velocity.yaml: log.level: {LEVELS}",
    ),
    "yaml-two-bad-values": (
        "velocity.yaml",
        "log:\n  format: xml\nquantum:\n  depth: 0\n",
        "velocity.yaml: log.format: Input should be 'auto', 'json' or 'console'; "
        "quantum.depth: Input should be greater than 0",
    ),
    "yaml-unknown-key": (
        "velocity.yaml",
        "log:\n  levle: DEBUG\n",
        "velocity.yaml: log.levle: Extra inputs are not permitted",
    ),
    "yaml-unknown-section": (
        "velocity.yaml",
        "lgo: {}\n",
        "velocity.yaml: lgo: Extra inputs are not permitted",
    ),
    "yaml-list-item": (
        "velocity.yaml",
        "livepatch:\n  ignore_files: [a, [b]]\n",
        "velocity.yaml: livepatch.ignore_files[1]: Input should be a valid string",
    ),
    "yaml-section-not-mapping": (
        "velocity.yaml",
        "log: 3\n",
        "velocity.yaml: log: Input should be a valid dictionary or instance of LogSettings",
    ),
    "yaml-bad-path": (
        "velocity.yaml",
        "depci:\n  cache_dir: 5\n",
        "velocity.yaml: depci.cache_dir: Input is not a valid path",
    ),
    "yaml-syntax": (
        "velocity.yaml",
        "log:\n  level: x\n   bad: : [\n",
        "velocity.yaml:3:7: could not parse YAML: mapping values are not allowed here",
    ),
    "yaml-bad-character": (
        "velocity.yaml",
        "log:\n  level: \x07\n",
        "velocity.yaml:2:10: could not parse YAML: unacceptable character #x0007",
    ),
    "yaml-top-level-list": (
        "velocity.yaml",
        "- log\n",
        "velocity.yaml: the top level must be a mapping, not a list",
    ),
    "yaml-top-level-string": (
        ".velocity.yaml",
        "just text\n",
        ".velocity.yaml: the top level must be a mapping, not a string",
    ),
    "yaml-non-string-key": (
        "velocity.yaml",
        "1: x\n",
        "velocity.yaml: the top level: keys must be strings, not an integer",
    ),
    "pyproject-bad-value": (
        "pyproject.toml",
        '[tool.velocity.quantum]\ndepth = "deep"\n',
        "pyproject.toml: [tool.velocity] quantum.depth: "
        "Input should be a valid integer, unable to parse string as an integer",
    ),
    "pyproject-unknown-key": (
        "pyproject.toml",
        "[tool.velocity]\nquantom = {}\n",
        "pyproject.toml: [tool.velocity] quantom: Extra inputs are not permitted",
    ),
    "pyproject-syntax": (
        "pyproject.toml",
        "[tool.velocity\n",
        "pyproject.toml:1:15: could not parse TOML: Expected ']' at the end of a table declaration",
    ),
    "pyproject-syntax-at-end": (
        "pyproject.toml",
        '[tool.velocity]\ntarget = "docker://app',
        "pyproject.toml:2:23: could not parse TOML: Unterminated string",
    ),
    "pyproject-table-not-mapping": (
        "pyproject.toml",
        "[tool]\nvelocity = 3\n",
        "pyproject.toml: [tool.velocity] must be a mapping, not an integer",
    ),
    "pyproject-tool-not-mapping": (
        "pyproject.toml",
        "tool = [1]\n",
        "pyproject.toml: [tool] must be a mapping, not a list",
    ),
}


@pytest.mark.parametrize(("name", "text", "expected"), FILE_CASES.values(), ids=FILE_CASES)
def test_file_errors(project: Path, name: str, text: str, expected: str) -> None:
    (project / name).write_text(text, encoding="utf-8")
    assert error_of(environ={}) == expected


ENV_CASES = {
    "bad-value": (
        {"VELOCITY_LOG__LEVEL": "loud"},
        f"environment: VELOCITY_LOG__LEVEL: {LEVELS}",
    ),
    "unknown-nested-key": (
        {"VELOCITY_LOG__LEVELL": "DEBUG"},
        "environment: VELOCITY_LOG__LEVELL: Extra inputs are not permitted",
    ),
    "json-section": (
        {"VELOCITY_QUANTUM": '{"depth": "x"}'},
        "environment: VELOCITY_QUANTUM (depth): "
        "Input should be a valid integer, unable to parse string as an integer",
    ),
    "list-item": (
        {"VELOCITY_LIVEPATCH__IGNORE_FILES": '["a", 1]'},
        "environment: VELOCITY_LIVEPATCH__IGNORE_FILES[1]: Input should be a valid string",
    ),
    "single-underscore": (
        {"VELOCITY_GITHUB_APP_ID": "1"},
        "environment: VELOCITY_GITHUB_APP_ID: not a setting; did you mean VELOCITY_GITHUB__APP_ID?",
    ),
    "not-json": (
        {"VELOCITY_LIVEPATCH__IGNORE_FILES": "a,b"},
        "environment: VELOCITY_LIVEPATCH__IGNORE_FILES: could not parse the value as JSON",
    ),
}


@pytest.mark.parametrize(("environ", "expected"), ENV_CASES.values(), ids=ENV_CASES)
def test_environment_errors(project: Path, environ: dict[str, str], expected: str) -> None:
    assert error_of(environ=environ) == expected


def test_override_errors(project: Path) -> None:
    assert error_of(overrides={"log.level": "x"}) == f"command line: log.level: {LEVELS}"
    assert error_of(overrides={"nope": 1}) == "command line: nope: Extra inputs are not permitted"


def test_missing_config_file(project: Path) -> None:
    assert error_of(config_file=Path("ci.yaml")) == "ci.yaml: config file not found"


def test_two_yaml_files_are_ambiguous(project: Path) -> None:
    (project / "velocity.yaml").write_text("")
    (project / ".velocity.yaml").write_text("")
    assert error_of() == "velocity.yaml and .velocity.yaml both exist; keep one"


def test_file_that_is_not_utf8(project: Path) -> None:
    (project / "velocity.yaml").write_bytes(b"log:\n  level: \xff\n")
    assert error_of() == "velocity.yaml: could not read: not valid UTF-8"


def test_file_that_cannot_be_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "velocity.yaml").write_text("log: {}\n")

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    # Tests run as root too, where chmod cannot make a file unreadable.
    monkeypatch.setattr(Path, "read_text", denied)
    assert error_of() == "velocity.yaml: could not read: Permission denied"


def test_errors_in_a_parent_directory_name_the_relative_path(project: Path) -> None:
    (project / "velocity.yaml").write_text("log:\n  level: loud\n")
    (project / "sub").mkdir()
    expected = f"{os.path.join('..', 'velocity.yaml')}: log.level: {LEVELS}"
    assert error_of(cwd=project / "sub") == expected


SECRET_CASES = {
    "yaml-int-field": ("velocity.yaml", f"quantum:\n  depth: {TOKEN}\n", {}),
    "yaml-literal-field": ("velocity.yaml", f"log:\n  level: {TOKEN}\n", {}),
    "yaml-secret-field-wrong-type": ("velocity.yaml", f"github:\n  token: [{TOKEN}]\n", {}),
    "yaml-unknown-key": ("velocity.yaml", f"github:\n  tokn: {TOKEN}\n", {}),
    "pyproject-int-field": ("pyproject.toml", f'[tool.velocity.github]\napp_id = "{TOKEN}"\n', {}),
    "env-int-field": (None, "", {"VELOCITY_GITHUB__APP_ID": TOKEN}),
    "env-bad-json": (None, "", {"VELOCITY_GITHUB": f'{{"token": "{TOKEN}"'}),
    "yaml-syntax": ("velocity.yaml", f"github:\n  token: {TOKEN}\n  bad: : [\n", {}),
}


@pytest.mark.parametrize(("name", "text", "environ"), SECRET_CASES.values(), ids=SECRET_CASES)
def test_errors_never_echo_a_value(
    project: Path, name: str | None, text: str, environ: dict[str, str]
) -> None:
    if name:
        (project / name).write_text(text)
    message = error_of(environ=environ)
    assert TOKEN not in message
    assert "input_value" not in message
    assert "s" * 12 not in message


class _Echoes(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _reject(cls, value: str) -> str:
        raise ValueError(f"{value} is not allowed")


def test_validator_messages_have_the_input_stripped() -> None:
    with pytest.raises(ValidationError) as info:
        _Echoes(name=TOKEN)
    layer = Layer("velocity.yaml", None, key_path)  # type: ignore[arg-type]
    message = describe(layer, info.value)
    assert message == "velocity.yaml: name: Value error, <value hidden> is not allowed"
