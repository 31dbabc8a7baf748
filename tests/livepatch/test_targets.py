from __future__ import annotations

import pytest

from velocity.core.errors import UsageError
from velocity.livepatch.client._ssh import remote_command
from velocity.livepatch.client._targets import TRANSPORTS
from velocity.livepatch.client._targets import ConnectOptions
from velocity.livepatch.client._targets import Target
from velocity.livepatch.client._targets import docker_argv
from velocity.livepatch.client._targets import parse_target


def test_every_scheme_is_registered():
    assert sorted(TRANSPORTS) == ["agent", "docker", "local", "ssh"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("local:///srv/app", Target("local:///srv/app", "local", path="/srv/app")),
        (
            "ssh://deploy@example.org:2222/srv/my%20app",
            Target(
                "ssh://deploy@example.org:2222/srv/my%20app",
                "ssh",
                "example.org",
                2222,
                "deploy",
                "/srv/my app",
            ),
        ),
        ("agent://10.0.0.5:7070", Target("agent://10.0.0.5:7070", "agent", "10.0.0.5", 7070)),
        ("docker://web/app", Target("docker://web/app", "docker", "web", path="/app")),
    ],
)
def test_parse(url, expected):
    assert parse_target(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/x",
        "local://relative/path",
        "local:relative",
        "ssh://host",
        "ssh://user@host:99999/x",
        "agent://host",
        "docker://web",
        "/just/a/path",
    ],
)
def test_bad_targets_are_usage_errors(url):
    with pytest.raises(UsageError):
        parse_target(url)


def test_docker_command_line():
    target = parse_target("docker://web-1/srv/app")
    options = ConnectOptions(agent_command="python -m velocity.livepatch.agent")
    assert docker_argv(target, options) == [
        *("docker", "exec", "-i", "web-1", "python", "-m", "velocity.livepatch.agent"),
        *("stdio", "--root", "/srv/app"),
    ]


def test_ssh_command_quotes_the_path():
    target = parse_target("ssh://u@h/srv/it's here")
    assert remote_command(target, ConnectOptions()) == (
        "livepatch-agent stdio --root '/srv/it'\"'\"'s here'"
    )
