# The settings model: one section per concern; every section forbids unknown keys.
from __future__ import annotations

from pathlib import Path
from typing import Annotated
from typing import Literal

from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import PositiveInt
from pydantic import PrivateAttr
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from pydantic_settings import PydanticBaseSettingsSource
from pydantic_settings import SettingsConfigDict

__all__ = [
    "DepciSettings",
    "GitHubSettings",
    "LivepatchSettings",
    "LogSettings",
    "QuantumSettings",
    "Settings",
]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
]
LogFormat = Annotated[Literal["auto", "json", "console"], BeforeValidator(_lower)]


class _Section(BaseModel):
    # A typo in a config file must be an error, not a silently ignored key.
    model_config = ConfigDict(extra="forbid")


class LogSettings(_Section):
    """``[log]``: how much Velocity logs, and in which shape (logs go to stderr).

    .. versionadded:: 0.1
    """

    level: LogLevel = "INFO"
    format: LogFormat = "auto"


class GitHubSettings(_Section):
    """``[github]``: credentials and endpoint for talking to GitHub.

    .. versionadded:: 0.1
    """

    token: SecretStr | None = None
    app_id: PositiveInt | None = None
    private_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    api_url: str = "https://api.github.com"


class DepciSettings(_Section):
    """``[depci]``: Dependency-Aware CI.

    ``unknown_changes`` decides what a change the graph cannot place does:
    ``run-all`` (the safe default) selects every test.

    .. versionadded:: 0.1
    """

    cache_dir: Path = Path(".velocity")
    base: str | None = None
    unknown_changes: Literal["run-all", "ignore"] = "run-all"


class LivepatchSettings(_Section):
    """``[livepatch]``: where changes are pushed and which files never are.

    .. versionadded:: 0.1
    """

    target: str | None = None
    ignore_files: list[str] = Field(default_factory=list)
    debounce_ms: Annotated[int, Field(ge=0)] = 200


class QuantumSettings(_Section):
    """``[quantum]``: the merge queue's state store and speculation depth.

    ``redis_url`` is secret because a URL may carry a password.

    .. versionadded:: 0.1
    """

    store: Literal["sqlite", "redis"] = "sqlite"
    sqlite_path: Path = Path(".velocity/quantum.sqlite3")
    redis_url: SecretStr | None = None
    depth: PositiveInt = 1


class Settings(BaseSettings):
    """All of Velocity's settings; build them with :func:`load_settings`.

    Sources, lowest precedence first: defaults, ``[tool.velocity]`` in
    pyproject.toml, velocity.yaml, ``VELOCITY_*`` environment variables
    (nested with ``__``), command-line overrides.

    .. versionadded:: 0.1
    """

    model_config = SettingsConfigDict(
        env_prefix="VELOCITY_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        pyproject_toml_table_header=("tool", "velocity"),
    )

    log: LogSettings = Field(default_factory=LogSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    depci: DepciSettings = Field(default_factory=DepciSettings)
    livepatch: LivepatchSettings = Field(default_factory=LivepatchSettings)
    quantum: QuantumSettings = Field(default_factory=QuantumSettings)

    _sources: tuple[str, ...] = PrivateAttr(default=("defaults",))

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources that supplied values, lowest precedence first.

        Always starts with ``"defaults"``; then e.g. ``"pyproject.toml"``,
        ``"velocity.yaml"``, ``"environment"``, ``"command line"``.

        .. versionadded:: 0.1
        """
        return self._sources

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Settings() alone reads the same files load_settings() would, in the same order.
        from velocity.core.config._layers import file_layers

        files = file_layers(settings_cls, cwd=Path.cwd(), config_file=None)
        return (init_settings, env_settings, *(layer.source for layer in reversed(files)))

    def _with_sources(self, sources: tuple[str, ...]) -> Settings:
        self._sources = sources
        return self
