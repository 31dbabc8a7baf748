"""An honest local GitHub for tests: real bare git repositories behind GitHub's REST API.

Every request and response is validated against the OpenAPI subset in the shared fixtures
(``$VELOCITY_SHARED_FIXTURES``, else ``shared/fixtures`` next to the checkout); webhooks are
GitHub's example payloads patched with the real state, signed like Hookshot::

    with GitHubDouble() as github, WebhookInbox() as inbox:
        github.add_repo("acme", "app")
        github.set_webhook(inbox.url)
        github.push("acme", "app", "feature", {"a.py": "x = 1\n"})
        number = github.open_pull("acme", "app", "feature")
        client = GitHub(AppAuthStrategy(**github.client_kwargs()), base_url=github.base_url)
        ...  # drive the code under test, then
        github.deliver_pending()
        github.assert_no_violations()

.. versionadded:: 0.1
"""

from __future__ import annotations

from velocity.testing.github._double import GitHubDouble
from velocity.testing.github._double import SchemaViolationError
from velocity.testing.github._fixtures import FIXTURES_ENV
from velocity.testing.github._fixtures import FixturesMissingError
from velocity.testing.github._fixtures import fixtures_dir
from velocity.testing.github._git import GitError
from velocity.testing.github._inbox import Received
from velocity.testing.github._inbox import WebhookInbox
from velocity.testing.github._validate import SchemaViolation
from velocity.testing.github._webhooks import Delivery
from velocity.testing.github._webhooks import sign

__all__ = [
    "FIXTURES_ENV",
    "Delivery",
    "FixturesMissingError",
    "GitError",
    "GitHubDouble",
    "Received",
    "SchemaViolation",
    "SchemaViolationError",
    "WebhookInbox",
    "fixtures_dir",
    "sign",
]
