"""velocity.core.config: every source alone, their precedence, and how they merge."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from velocity.core.config import Settings
from velocity.core.config import load_settings

TOKEN = "ghp_" + "t" * 36


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # .git pins the project root here, whatever lies above tmp_path.
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("VELOCITY_"):
            monkeypatch.delenv(name)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_alone(project: Path) -> None:
    settings = load_settings()
    assert settings.sources == ("defaults",)
    assert settings.log.level == "INFO"
    assert settings.log.format == "auto"
    assert settings.github.token is None
    assert settings.github.api_url == "https://api.github.com"
    assert settings.depci.cache_dir == Path(".velocity")
    assert settings.livepatch.ignore_files == []
    assert settings.quantum.store == "sqlite"
    assert settings.quantum.depth == 1


def test_pyproject_alone(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.velocity.quantum]\ndepth = 3\nstore = "redis"\n')
    settings = load_settings()
    assert settings.sources == ("defaults", "pyproject.toml")
    assert (settings.quantum.depth, settings.quantum.store) == (3, "redis")


def test_pyproject_without_our_table_is_not_a_source(project: Path) -> None:
    write(project / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_settings().sources == ("defaults",)


@pytest.mark.parametrize("name", ["velocity.yaml", ".velocity.yaml"])
def test_yaml_alone(project: Path, name: str) -> None:
    write(project / name, "livepatch:\n  target: docker://app\n  ignore_files: ['*.pyc']\n")
    settings = load_settings()
    assert settings.sources == ("defaults", name)
    assert settings.livepatch.target == "docker://app"
    assert settings.livepatch.ignore_files == ["*.pyc"]


def test_empty_yaml_and_empty_sections_mean_defaults(project: Path) -> None:
    write(project / "velocity.yaml", "log:\n  # level: DEBUG\n")
    assert load_settings() == Settings.model_validate({})
    write(project / "velocity.yaml", "")
    assert load_settings().sources == ("defaults",)


def test_environment_alone(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VELOCITY_LOG__LEVEL", "debug")
    monkeypatch.setenv("VELOCITY_GITHUB__TOKEN", TOKEN)
    monkeypatch.setenv("VELOCITY_DEBUG", "1")  # read by the CLI runner, not a setting
    monkeypatch.setenv("VELOCITY_LOG_ANYTHING", "1")  # not a near miss of a real key
    settings = load_settings()
    assert settings.sources == ("defaults", "environment")
    assert settings.log.level == "DEBUG"
    assert settings.github.token == SecretStr(TOKEN)


def test_environment_nesting(project: Path) -> None:
    environ = {
        "VELOCITY_QUANTUM__DEPTH": "4",
        "VELOCITY_QUANTUM__REDIS_URL": "redis://:pw@localhost:6379/0",
        "VELOCITY_LIVEPATCH__IGNORE_FILES": '["*.log", "tmp/"]',
        "VELOCITY_DEPCI": '{"base": "origin/main"}',
        "velocity_log__format": "json",
    }
    settings = load_settings(environ=environ)
    assert settings.quantum.depth == 4
    assert settings.quantum.redis_url is not None
    assert settings.quantum.redis_url.get_secret_value() == "redis://:pw@localhost:6379/0"
    assert settings.livepatch.ignore_files == ["*.log", "tmp/"]
    assert settings.depci.base == "origin/main"
    assert settings.log.format == "json"


@pytest.mark.parametrize(
    "overrides",
    [{"log": {"level": "ERROR", "format": "json"}}, {"log.level": "ERROR", "log.format": "json"}],
)
def test_overrides_alone(project: Path, overrides: dict[str, object]) -> None:
    settings = load_settings(overrides=overrides)
    assert settings.sources == ("defaults", "command line")
    assert (settings.log.level, settings.log.format) == ("ERROR", "json")


def test_overrides_dotted_and_nested_combine(project: Path) -> None:
    settings = load_settings(overrides={"log.level": "ERROR", "log": {"format": "json"}})
    assert (settings.log.level, settings.log.format) == ("ERROR", "json")


Writer = Callable[[Path, str], dict[str, object]]


def _in_pyproject(root: Path, level: str) -> dict[str, object]:
    write(root / "pyproject.toml", f'[tool.velocity.log]\nlevel = "{level}"\n')
    return {}


def _in_yaml(root: Path, level: str) -> dict[str, object]:
    write(root / "velocity.yaml", f"log:\n  level: {level}\n")
    return {}


def _in_env(root: Path, level: str) -> dict[str, object]:
    return {"environ": {"VELOCITY_LOG__LEVEL": level}}


def _on_command_line(root: Path, level: str) -> dict[str, object]:
    return {"overrides": {"log.level": level}}


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        (_in_pyproject, _in_yaml),
        (_in_yaml, _in_env),
        (_in_env, _on_command_line),
    ],
    ids=["yaml-beats-pyproject", "env-beats-yaml", "cli-beats-env"],
)
def test_precedence_of_adjacent_sources(project: Path, lower: Writer, higher: Writer) -> None:
    kwargs = {**lower(project, "ERROR"), **higher(project, "WARNING")}
    assert load_settings(**kwargs).log.level == "WARNING"  # type: ignore[arg-type]


def test_pyproject_beats_defaults(project: Path) -> None:
    _in_pyproject(project, "ERROR")
    assert load_settings().log.level == "ERROR"


def test_every_source_in_order(project: Path) -> None:
    _in_pyproject(project, "DEBUG")
    _in_yaml(project, "INFO")
    settings = load_settings(
        environ={"VELOCITY_LOG__LEVEL": "WARNING"}, overrides={"log.level": "ERROR"}
    )
    assert settings.log.level == "ERROR"
    assert settings.sources == (
        "defaults",
        "pyproject.toml",
        "velocity.yaml",
        "environment",
        "command line",
    )


def test_nested_merge_keeps_keys_from_every_source(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.velocity.log]\nlevel = "DEBUG"\n')
    write(project / "velocity.yaml", "log:\n  format: json\nquantum:\n  depth: 2\n")
    settings = load_settings(environ={"VELOCITY_QUANTUM__STORE": "redis"})
    assert (settings.log.level, settings.log.format) == ("DEBUG", "json")
    assert (settings.quantum.depth, settings.quantum.store) == (2, "redis")


def test_level_and_format_are_case_insensitive(project: Path) -> None:
    write(project / "velocity.yaml", "log:\n  level: warning\n  format: JSON\n")
    settings = load_settings()
    assert (settings.log.level, settings.log.format) == ("WARNING", "json")


def test_root_is_found_from_a_subdirectory(project: Path) -> None:
    write(project / "velocity.yaml", "quantum:\n  depth: 5\n")
    sub = project / "src" / "pkg"
    sub.mkdir(parents=True)
    settings = load_settings(cwd=sub)
    assert settings.quantum.depth == 5
    assert settings.sources == ("defaults", os.path.join("..", "..", "velocity.yaml"))


def test_root_is_the_nearest_marked_directory(project: Path) -> None:
    write(project / "velocity.yaml", "quantum:\n  depth: 5\n")
    write(project / "sub" / "pyproject.toml", '[project]\nname = "inner"\n')
    assert load_settings(cwd=project / "sub").quantum.depth == 1


def test_without_any_marker_the_root_is_cwd(tmp_path_factory: pytest.TempPathFactory) -> None:
    bare = tmp_path_factory.mktemp("bare")
    assert load_settings(cwd=bare, environ={}).sources == ("defaults",)


def test_explicit_config_file_replaces_discovery(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.velocity.log]\nformat = "console"\n')
    write(project / "velocity.yaml", "log:\n  level: DEBUG\n")
    write(project / "conf" / "ci.yaml", "quantum:\n  depth: 7\n")
    settings = load_settings(config_file=Path("conf/ci.yaml"))
    assert settings.sources == ("defaults", "pyproject.toml", os.path.join("conf", "ci.yaml"))
    assert (settings.log.level, settings.log.format) == ("INFO", "console")
    assert settings.quantum.depth == 7


def test_settings_alone_reads_the_same_files(project: Path) -> None:
    write(project / "pyproject.toml", '[tool.velocity.log]\nlevel = "DEBUG"\n')
    write(project / "velocity.yaml", "log:\n  format: json\n")
    settings = Settings()
    assert (settings.log.level, settings.log.format) == ("DEBUG", "json")


def test_settings_alone_without_files(project: Path) -> None:
    assert Settings().log.level == "INFO"


def test_secrets_are_masked_in_repr_and_dump(project: Path) -> None:
    write(project / "velocity.yaml", f"github:\n  token: {TOKEN}\n  webhook_secret: {TOKEN}\n")
    settings = load_settings()
    assert settings.github.token == SecretStr(TOKEN)
    assert TOKEN not in repr(settings)
    assert TOKEN not in settings.model_dump_json()
