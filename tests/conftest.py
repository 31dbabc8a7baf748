from __future__ import annotations

from collections.abc import Iterator

import pytest

from velocity.testing import MissingBinaryError
from velocity.testing import RedisServer
from velocity.testing import SSHServer
from velocity.testing import check_binaries


def pytest_sessionstart(session: pytest.Session) -> None:
    # Nothing is skipped here: a missing server binary stops the run, naming what to install.
    try:
        check_binaries()
    except MissingBinaryError as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    with SSHServer(tmp_path_factory.mktemp("sshd")) as server:
        yield server
