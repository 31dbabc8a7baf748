"""Where the shared GitHub fixtures (OpenAPI subset, example webhook payloads) live."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["FIXTURES_ENV", "FixturesMissingError", "fixtures_dir"]

#: Environment variable that overrides the fixture directory.
FIXTURES_ENV = "VELOCITY_SHARED_FIXTURES"

# src/velocity/testing/github/_fixtures.py -> the repository checkout is four levels up.
_REPO_ROOT = Path(__file__).resolve().parents[4]


class FixturesMissingError(RuntimeError):
    """The shared GitHub fixtures could not be found.

    .. versionadded:: 0.1
    """


def fixtures_dir() -> Path:
    """Return the directory holding ``github-openapi-subset.json`` and ``github-payloads/``.

    ``$VELOCITY_SHARED_FIXTURES`` wins; otherwise ``shared/fixtures`` next to the checkout.

    :raises FixturesMissingError: when the directory or the OpenAPI subset is missing.

    .. versionadded:: 0.1
    """
    override = os.environ.get(FIXTURES_ENV)
    path = Path(override) if override else _REPO_ROOT.parent / "shared" / "fixtures"
    if not (path / "github-openapi-subset.json").is_file():
        source = f"${FIXTURES_ENV}" if override else "the default location"
        raise FixturesMissingError(
            f"GitHub fixtures not found at {path} ({source}): expected "
            f"github-openapi-subset.json and github-payloads/ there; "
            f"set {FIXTURES_ENV} to the directory that holds them"
        )
    return path
