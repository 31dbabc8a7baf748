# Where settings come from: one Layer per source, each able to name a key the way its user wrote it.
from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings
from pydantic_settings import InitSettingsSource
from pydantic_settings import PydanticBaseSettingsSource

from velocity.core.config._sources import EnvSource
from velocity.core.config._sources import PyprojectSource
from velocity.core.config._sources import YamlSource
from velocity.core.errors import ConfigError

__all__ = ["Layer", "env_layer", "file_layers", "find_root", "key_path", "overrides_layer"]

Loc = tuple[int | str, ...]
ROOT_MARKERS = ("pyproject.toml", "velocity.yaml", ".velocity.yaml", ".git")
YAML_NAMES = ("velocity.yaml", ".velocity.yaml")


@dataclass(frozen=True)
class Layer:
    name: str  # listed in Settings.sources and prefixed to its errors
    source: PydanticBaseSettingsSource
    where: Callable[[Loc], str]  # a validation error's loc, as this source's user spells it


def key_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def find_root(cwd: Path) -> Path:
    for directory in (cwd, *cwd.parents):
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return directory
    return cwd


def file_layers(
    settings_cls: type[BaseSettings], *, cwd: Path, config_file: Path | None
) -> list[Layer]:
    root = find_root(cwd)
    pyproject = root / "pyproject.toml"
    label = _display(pyproject, cwd)
    layers = [Layer(label, PyprojectSource(settings_cls, pyproject, label), _in_tool_velocity)]
    yaml_file = _yaml_file(root, cwd, config_file)
    if yaml_file is not None:
        label = str(config_file) if config_file is not None else _display(yaml_file, cwd)
        layers.append(Layer(label, YamlSource(settings_cls, yaml_file, label), key_path))
    return layers


def env_layer(settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> Layer:
    source = EnvSource(settings_cls, environ)
    prefix = source.env_prefix.upper()
    _reject_single_underscore(settings_cls, environ, prefix)
    return Layer("environment", source, _env_namer(environ, prefix))


def overrides_layer(settings_cls: type[BaseSettings], overrides: Mapping[str, Any]) -> Layer:
    return Layer("command line", InitSettingsSource(settings_cls, _expand(overrides)), key_path)


def _yaml_file(root: Path, cwd: Path, config_file: Path | None) -> Path | None:
    if config_file is not None:
        path = cwd / config_file
        if not path.is_file():
            raise ConfigError(f"{config_file}: config file not found")
        return path
    found = [root / name for name in YAML_NAMES if (root / name).is_file()]
    if len(found) > 1:
        names = " and ".join(_display(path, cwd) for path in found)
        raise ConfigError(f"{names} both exist; keep one")
    return found[0] if found else None


def _display(path: Path, cwd: Path) -> str:
    # Discovered files sit in cwd or one of its parents, so a relative path is short and exact.
    return os.path.relpath(path, cwd)


def _in_tool_velocity(loc: Loc) -> str:
    return f"[tool.velocity] {key_path(loc)}"


def _env_namer(environ: Mapping[str, str], prefix: str) -> Callable[[Loc], str]:
    by_upper = {name.upper(): name for name in environ}

    def where(loc: Loc) -> str:
        for i in range(len(loc), 0, -1):
            name = prefix + "__".join(str(part) for part in loc[:i]).upper()
            if name in by_upper:
                rest = key_path(loc[i:])
                if not rest or rest.startswith("["):
                    return by_upper[name] + rest
                return f"{by_upper[name]} ({rest})"
        return prefix + "__".join(str(part) for part in loc).upper()  # pragma: no cover

    return where


def _reject_single_underscore(
    settings_cls: type[BaseSettings], environ: Mapping[str, str], prefix: str
) -> None:
    # VELOCITY_LOG_LEVEL is the likeliest typo of all, and the env source would ignore it.
    for name in environ:
        if not name.upper().startswith(prefix):
            continue
        section, _, key = name.upper().removeprefix(prefix).partition("_")
        field = settings_cls.model_fields.get(section.lower())
        model = field.annotation if field else None
        if (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and key.lower() in model.model_fields
        ):
            hint = f"{prefix}{section}__{key}"
            raise ConfigError(f"environment: {name}: not a setting; did you mean {hint}?")


def _expand(overrides: Mapping[str, Any]) -> dict[str, Any]:
    # "log.level" and {"log": {"level": ...}} mean the same override.
    out: dict[str, Any] = {}
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last].update(_expand(value))
        else:
            node[last] = _expand(value) if isinstance(value, Mapping) else value
    return out
