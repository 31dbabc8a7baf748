# load_settings: read every source, validate each alone (to name the culprit), then merge.
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import PydanticBaseSettingsSource

from velocity.core.config._errors import describe
from velocity.core.config._layers import Layer
from velocity.core.config._layers import env_layer
from velocity.core.config._layers import file_layers
from velocity.core.config._layers import key_path
from velocity.core.config._layers import overrides_layer
from velocity.core.config._model import Settings
from velocity.core.errors import ConfigError

__all__ = ["load_settings"]


def load_settings(
    *,
    cwd: Path | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from every source, each overriding those before it.

    :param cwd: where discovery starts (default: the current directory); the
        project root is the first directory upwards holding pyproject.toml,
        velocity.yaml, .velocity.yaml or .git.
    :param config_file: a YAML file used instead of the discovered
        velocity.yaml; relative paths are relative to *cwd*.
    :param overrides: command-line values, nested (``{"log": {"level": "DEBUG"}}``)
        or dotted (``{"log.level": "DEBUG"}``); they beat every other source.
    :param environ: the environment to read ``VELOCITY_*`` from (default: ``os.environ``).
    :raises ~velocity.core.errors.ConfigError: one line naming the file (or
        variable) and the key; input values are never repeated.

    :attr:`Settings.sources` tells which sources supplied values.

    .. versionadded:: 0.1
    """
    base = Path.cwd() if cwd is None else cwd.absolute()
    layers = [
        *file_layers(Settings, cwd=base, config_file=config_file),
        env_layer(Settings, os.environ if environ is None else environ),
        overrides_layer(Settings, overrides or {}),
    ]
    used = [layer for layer in layers if _check(layer)]
    try:
        # pydantic-settings merges the sources itself; the first one wins.
        settings = _build(*(layer.source for layer in reversed(used)))
    except ValidationError as exc:  # pragma: no cover - each layer already validated alone
        raise ConfigError(
            describe(Layer("configuration", layers[-1].source, key_path), exc)
        ) from None
    return settings._with_sources(("defaults", *(layer.name for layer in used)))


def _check(layer: Layer) -> bool:
    if not layer.source():
        return False
    try:
        _build(layer.source)
    except ValidationError as exc:
        raise ConfigError(describe(layer, exc)) from None
    return True


def _build(*sources: PydanticBaseSettingsSource) -> Settings:
    # mypy sees pydantic's field-only __init__, not BaseSettings' _build_sources keyword.
    return Settings(_build_sources=(sources, {}))  # type: ignore[call-arg]
