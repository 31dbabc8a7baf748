from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_support import CI
from app_support import CONFIG
from app_support import OWNER
from app_support import REPO
from app_support import Served
from app_support import client_factory
from app_support import make_settings
from velocity_github_app import AppConfig
from velocity_github_app import Stores
from velocity_github_app import create_app

from velocity.core.config import Settings
from velocity.testing.github import GitHubDouble


@pytest.fixture
def double(tmp_path: Path) -> Iterator[GitHubDouble]:
    with GitHubDouble(tmp_path / "github") as server:
        server.add_repo(OWNER, REPO)
        yield server
        server.assert_no_violations()


@pytest.fixture
def settings(double: GitHubDouble, tmp_path: Path) -> Settings:
    return make_settings(double, tmp_path)


@pytest.fixture(params=["sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        opened = Stores("redis", server.url)
    else:
        opened = Stores("sqlite", tmp_path / "state")
    yield opened
    opened.close()


@pytest.fixture
def serve(
    double: GitHubDouble, settings: Settings, stores: Stores
) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(config: AppConfig = CONFIG) -> Served:
        app = create_app(
            settings, stores=stores, github_client_factory=client_factory(double), config=config
        )
        served = Served(app, double)
        served.start()
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def ci(double: GitHubDouble) -> CI:
    return CI(double)
