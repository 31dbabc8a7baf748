"""The handler registry: ``operationId`` -> handler, one plain dict."""

from __future__ import annotations

from velocity.testing.github import _routes_app
from velocity.testing.github import _routes_checks
from velocity.testing.github import _routes_git
from velocity.testing.github import _routes_issues
from velocity.testing.github import _routes_pulls
from velocity.testing.github import _routes_repos
from velocity.testing.github._call import Handler

__all__ = ["HANDLERS"]

HANDLERS: dict[str, Handler] = {
    **_routes_app.HANDLERS,
    **_routes_checks.HANDLERS,
    **_routes_git.HANDLERS,
    **_routes_issues.HANDLERS,
    **_routes_pulls.HANDLERS,
    **_routes_repos.HANDLERS,
}
