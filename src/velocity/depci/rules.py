"""Rules for files the import graph can't place: ``[tool.velocity.depci]`` in pyproject.toml.

Without that table the defaults apply through :class:`DefaultRules`, a plain dataclass, so
that pydantic (:class:`~velocity.depci.rules_model.DepciRules`) loads only when there is
configuration to validate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Protocol

from velocity.core.errors import ConfigError

if TYPE_CHECKING:
    import pathspec

__all__ = [
    "DEFAULT_IGNORE", "DEFAULT_RUN_ALL_ON", "DefaultRules", "Rules", "extra_tests",
    "first_match", "load_rules",
]  # fmt: skip

#: Changes that can alter any test's outcome: dependencies, build and test configuration.
DEFAULT_RUN_ALL_ON = (
    "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock", "pdm.lock",
    "requirements*.txt", "requirements/*.txt", "constraints*.txt",
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
    "pnpm-workspace.yaml", ".yarnrc.yml", ".npmrc", "bun.lockb",
    "pyproject.toml", "setup.cfg", "setup.py", "package.json",
    "tsconfig*.json", "jsconfig*.json", "pytest.ini", "tox.ini", "noxfile.py", ".coveragerc",
    "babel.config.*", ".babelrc*", "jest.config.*", "vitest.config.*", "vite.config.*",
    "webpack.config.*",
)  # fmt: skip
#: Changes no test can observe.
DEFAULT_IGNORE = ("docs/", "*.md", "*.rst", "LICENSE*", "COPYING*", "AUTHORS*", "CHANGELOG*")


class Rules(Protocol):
    """What the selector asks of the rules; see :class:`~velocity.depci.rules_model.DepciRules`.

    .. versionadded:: 0.1
    """

    @property
    def python_roots(self) -> tuple[str, ...] | None: ...
    @property
    def symbol_precision(self) -> bool: ...
    def run_all_match(self, path: str) -> str | None: ...
    def ignored(self, path: str) -> bool: ...
    def extra_tests(self, path: str, tests: list[str]) -> list[str] | None: ...


@dataclass(frozen=True)
class DefaultRules:
    """The rules when pyproject.toml has no ``[tool.velocity.depci]`` table.

    .. versionadded:: 0.1
    """

    run_all_on: tuple[str, ...] = DEFAULT_RUN_ALL_ON
    extra_deps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    python_roots: tuple[str, ...] | None = None
    symbol_precision: bool = True

    def run_all_match(self, path: str) -> str | None:
        """The ``run_all_on`` glob matching *path*, if any."""
        return first_match(self.run_all_on, path)

    def ignored(self, path: str) -> bool:
        """Does an ``ignore`` glob match *path*?"""
        return first_match(self.ignore, path) is not None

    def extra_tests(self, path: str, tests: list[str]) -> list[str] | None:
        """Tests *path* selects through ``extra_deps``; ``None`` when no glob matches it."""
        return extra_tests(self.extra_deps, path, tests)


@functools.lru_cache(maxsize=512)
def _spec(glob: str) -> pathspec.GitIgnoreSpec:
    import pathspec  # a sixth of a one-file edit's run: imported when a glob may match

    return pathspec.GitIgnoreSpec.from_lines([glob])


@functools.lru_cache(maxsize=512)
def _last_segment(glob: str) -> re.Pattern[str] | None:
    # A glob's last segment as a regex, or None when this shortcut can't model the glob.
    segment = glob.rstrip("/").rpartition("/")[2]
    if glob != glob.strip() or not segment or "**" in segment or any(c in "[]\\!#" for c in glob):
        return None
    wild = {"*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wild.get(c) or re.escape(c) for c in segment))


def _may_match(glob: str, path: str) -> bool:
    # Whatever a gitignore glob matches, its last segment matches one part of the path (the
    # file, or the directory it is in): a cheap "no" that skips pathspec for most globs.
    last = _last_segment(glob)
    return last is None or any(last.fullmatch(part) for part in path.split("/"))


def first_match(globs: tuple[str, ...], path: str) -> str | None:
    """The first gitignore-style glob of *globs* that matches *path*.

    .. versionadded:: 0.1
    """
    for glob in globs:
        if _may_match(glob, path) and _spec(glob).match_file(path):
            return glob
    return None


def extra_tests(deps: dict[str, tuple[str, ...]], path: str, tests: list[str]) -> list[str] | None:
    """The *tests* that ``extra_deps`` globs select for a change to *path* (``None``: no rule).

    .. versionadded:: 0.1
    """
    globs = [t for data, ts in deps.items() if first_match((data,), path) for t in ts]
    if not globs:
        return None
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(globs)
    return [t for t in tests if spec.match_file(t)]


def load_rules(root: Path) -> Rules:
    """Read ``[tool.velocity.depci]`` from *root*/pyproject.toml (defaults when absent).

    :raises ConfigError: the file or the table is malformed.

    .. versionadded:: 0.1
    """
    path = root / "pyproject.toml"
    if not path.is_file():
        return DefaultRules()
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"pyproject.toml: {exc}") from None
    table = data.get("tool", {}).get("velocity", {}).get("depci")
    return DefaultRules() if table is None else _validate(table)


def _validate(table: object) -> Rules:
    from pydantic import ValidationError

    from velocity.depci.rules_model import DepciRules

    try:
        return DepciRules.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"pyproject.toml: [tool.velocity.depci] {key}: {err['msg']}") from None
