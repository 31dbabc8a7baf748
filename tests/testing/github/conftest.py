from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from githubkit import AppAuthStrategy
from githubkit import GitHub

from velocity.testing.github import GitHubDouble
from velocity.testing.github import WebhookInbox

OWNER = "velocity"
REPO = "demo"


@pytest.fixture
def double(tmp_path: Path) -> Iterator[GitHubDouble]:
    with GitHubDouble(tmp_path / "github") as server:
        server.add_repo(OWNER, REPO)
        yield server
        # Every test ends with clean traffic; tests that provoke violations clear them.
        server.assert_no_violations()


@pytest.fixture
def app_client(double: GitHubDouble) -> GitHub[AppAuthStrategy]:
    return GitHub(
        AppAuthStrategy(**double.client_kwargs()), base_url=double.base_url, auto_retry=False
    )


@pytest.fixture
def gh(app_client: GitHub[AppAuthStrategy], double: GitHubDouble) -> GitHub[AppAuthStrategy]:
    installation = app_client.rest.apps.get_repo_installation(OWNER, REPO).parsed_data
    return app_client.with_auth(app_client.auth.as_installation(installation.id))


@pytest.fixture
def inbox() -> Iterator[WebhookInbox]:
    with WebhookInbox() as server:
        yield server
