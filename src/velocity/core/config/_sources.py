# pydantic-settings sources that fail with one-line ConfigErrors naming the file.
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings
from pydantic_settings import EnvSettingsSource
from pydantic_settings import PyprojectTomlConfigSettingsSource
from pydantic_settings import YamlConfigSettingsSource

from velocity.core.errors import ConfigError

__all__ = ["EnvSource", "PyprojectSource", "YamlSource"]

_TOML_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


class YamlSource(YamlConfigSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path, label: str) -> None:
        self.label = label  # set first: the parent reads the file in __init__
        super().__init__(settings_cls, yaml_file=path)

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        text = _read_text(file_path, self.label)
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            raise ConfigError(_yaml_problem(exc, self.label)) from None
        except yaml.reader.ReaderError as exc:
            raise ConfigError(_yaml_bad_character(exc, text, self.label)) from None
        top = _mapping(data, self.label, "the top level")
        # `log:` with every key commented out is null: an empty section, not a value.
        return {key: value for key, value in top.items() if value is not None}


class PyprojectSource(PyprojectTomlConfigSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path, label: str) -> None:
        self.label = label
        super().__init__(settings_cls, toml_file=path)

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        text = _read_text(file_path, self.label)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_toml_problem(exc, text, self.label)) from None
        # The parent walks [tool.velocity] with .get(); make sure each step is a table.
        tool = _mapping(data.get("tool", {}), self.label, "[tool]")
        _mapping(tool.get("velocity", {}), self.label, "[tool.velocity]")
        return data


class EnvSource(EnvSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        try:
            return super().prepare_field_value(field_name, field, value, value_is_complex)
        except ValueError:
            # The parent's message would carry the raw value, which may be a secret.
            names = self._names_for(field_name)
            raise ConfigError(f"environment: {names}: could not parse the value as JSON") from None

    def _names_for(self, field_name: str) -> str:
        prefix = f"{self.env_prefix}{field_name}".upper()
        names = sorted(key for key in self._environ if key.upper().startswith(prefix))
        return ", ".join(names) or prefix


def _read_text(path: Path | Traversable, label: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: could not read: not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(
            f"{label}: could not read: {exc.strerror or type(exc).__name__}"
        ) from None


def _mapping(data: object, label: str, what: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: {what} must be a mapping, not {_kind(data)}")
    for key in data:
        if not isinstance(key, str):
            raise ConfigError(f"{label}: {what}: keys must be strings, not {_kind(key)}")
    return data


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "an integer"}.get(
        type(value), type(value).__name__
    )


def _yaml_problem(exc: yaml.MarkedYAMLError, label: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
    return f"{where}: could not parse YAML: {exc.problem or exc.context or 'invalid syntax'}"


def _yaml_bad_character(exc: yaml.reader.ReaderError, text: str, label: str) -> str:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - text.rfind("\n", 0, exc.position)
    where = f"{label}:{line}:{column}"
    return f"{where}: could not parse YAML: unacceptable character #x{exc.character:04x}"


def _toml_problem(exc: tomllib.TOMLDecodeError, text: str, label: str) -> str:
    match = _TOML_POSITION.match(str(exc))
    if match is None:  # "... (at end of document)": point just past the last character
        message = str(exc).removesuffix(" (at end of document)")
        line, column = text.count("\n") + 1, len(text) - text.rfind("\n")
    else:
        message, line, column = match["msg"], int(match["line"]), int(match["col"])
    return f"{label}:{line}:{column}: could not parse TOML: {message}"
