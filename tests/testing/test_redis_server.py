from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from velocity.testing import RedisServer
from velocity.testing import ServerStartError
from velocity.testing import _process
from velocity.testing import free_port


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_server.url) as connection:
        yield connection


def test_set_and_get_through_redis_py(redis_server: RedisServer, client: redis.Redis) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert client.set("greeting", "hello") is True
    assert client.get("greeting") == b"hello"
    assert client.info("server")["tcp_port"] == redis_server.port


def test_kill_then_start_keeps_port_and_client_reconnects(
    redis_server: RedisServer, client: redis.Redis
) -> None:
    port = redis_server.port
    client.set("k", "v")
    redis_server.kill()
    assert not redis_server.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    redis_server.start()
    assert redis_server.port == port
    assert client.get("k") is None  # no persistence: the crash lost it
    assert client.set("k", "again") is True


def test_restart_keeps_port_and_client_reconnects(
    redis_server: RedisServer, client: redis.Redis
) -> None:
    port, pid = redis_server.port, redis_server.pid
    client.set("k", "v")
    redis_server.restart()
    assert (redis_server.port, redis_server.running) == (port, True)
    assert redis_server.pid != pid
    assert client.get("k") is None
    assert client.ping() is True


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "kill"])
def test_persistence_survives_restart_and_crash(tmp_path: Path, crash: bool) -> None:
    server = RedisServer(tmp_path, persistence=True)
    with server, redis.Redis.from_url(server.url) as client:
        client.rpush("queue", "a", "b", "c")
        if crash:
            server.kill()
            server.start()
        else:
            server.restart()
        assert client.lrange("queue", 0, -1) == [b"a", b"b", b"c"]
        assert client.config_get("appendfsync") == {"appendfsync": "always"}


def test_without_persistence_restart_loses_data(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as server, redis.Redis.from_url(server.url) as client:
        client.set("k", "v")
        server.restart()
        assert client.dbsize() == 0
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("save") == {"save": ""}
    assert not list(tmp_path.glob("*.rdb"))


def test_two_servers_run_at_once_on_different_ports(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "a") as a, RedisServer(tmp_path / "b") as b:
        assert a.port != b.port
        with redis.Redis.from_url(a.url) as ca, redis.Redis.from_url(b.url) as cb:
            ca.set("who", "a")
            assert cb.get("who") is None


def test_port_taken_before_bind_is_retried_on_a_new_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(_process, "free_port", lambda: next(ports))
        with RedisServer(tmp_path) as server:
            assert server.port != taken
            with redis.Redis.from_url(server.url) as client:
                assert client.ping() is True
    assert "Address already in use" in (tmp_path / "redis.log").read_text()


def test_restart_on_a_port_someone_took_fails_with_the_log(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    server.kill()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        with pytest.raises(ServerStartError, match=r"(?s)exited with status 1.*in use"):
            server.start()
    assert not server.running


def test_bad_config_fails_with_the_log_tail(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, extra_config=["no-such-directive yes"])
    with pytest.raises(ServerStartError, match="no-such-directive"):
        server.start()
    with pytest.raises(RuntimeError, match="not running"):
        server.pid  # noqa: B018


def test_stop_kills_a_server_that_ignores_sigterm(redis_server: RedisServer) -> None:
    # A stopped process cannot act on SIGTERM; only SIGKILL ends it.
    os.kill(redis_server.pid, signal.SIGSTOP)
    redis_server.stop(timeout=0.2)
    assert not redis_server.running
    redis_server.stop()
    redis_server.kill()


def test_port_and_url_need_a_first_start(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    assert "running=False" in repr(server)
    with pytest.raises(RuntimeError, match="first start"):
        server.url  # noqa: B018


def test_workdir_with_quote_and_space(tmp_path: Path) -> None:
    workdir = tmp_path / 'a "quoted" dir'
    with RedisServer(workdir) as server, redis.Redis.from_url(server.url) as client:
        assert client.config_get("dir") == {"dir": str(workdir)}
