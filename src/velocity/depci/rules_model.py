"""``[tool.velocity.depci]`` as a pydantic model (loaded only when the table exists)."""

from __future__ import annotations

from pydantic import AliasChoices
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from velocity.depci.rules import DEFAULT_IGNORE
from velocity.depci.rules import DEFAULT_RUN_ALL_ON
from velocity.depci.rules import extra_tests
from velocity.depci.rules import first_match

__all__ = ["DepciRules"]


class DepciRules(BaseModel):
    """How changes outside the import graph select tests (gitignore-style globs throughout).

    :param run_all_on: a change to a matching file selects every test.
    :param extra_deps: data-file glob -> test globs a change to it selects.
    :param ignore: a change to a matching file selects nothing.
    :param python_roots: import roots overriding detection (repo-relative directories).
    :param symbol_precision: chase ``from pkg import X`` to the module defining X.

    .. versionadded:: 0.1
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_all_on: tuple[str, ...] = Field(
        default=DEFAULT_RUN_ALL_ON, validation_alias=AliasChoices("run_all_on", "run-all-on")
    )
    extra_deps: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, validation_alias=AliasChoices("extra_deps", "extra-deps")
    )
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    python_roots: tuple[str, ...] | None = Field(
        default=None, validation_alias=AliasChoices("python_roots", "python-roots")
    )
    symbol_precision: bool = Field(
        default=True, validation_alias=AliasChoices("symbol_precision", "symbol-precision")
    )

    def run_all_match(self, path: str) -> str | None:
        """The ``run_all_on`` glob matching *path*, if any."""
        return first_match(self.run_all_on, path)

    def ignored(self, path: str) -> bool:
        """Does an ``ignore`` glob match *path*?"""
        return first_match(self.ignore, path) is not None

    def extra_tests(self, path: str, tests: list[str]) -> list[str] | None:
        """Tests *path* selects through ``extra_deps``; ``None`` when no glob matches it."""
        return extra_tests(self.extra_deps, path, tests)
