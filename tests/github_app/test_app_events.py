from __future__ import annotations

import json

import pytest
from velocity_github_app import PayloadError
from velocity_github_app import parse_command
from velocity_github_app import parse_event
from velocity_github_app.events import BaseHint
from velocity_github_app.events import BuildHint
from velocity_github_app.events import CommandHint
from velocity_github_app.events import InstallationHint
from velocity_github_app.events import PullHint

from velocity.testing.github import fixtures_dir


def example(event: str, name: str) -> dict:
    path = fixtures_dir() / "github-payloads" / event / name
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("/quantum merge", "merge"),
        ("LGTM\n  /quantum   cancel  \n", "cancel"),
        ("/quantum priority high", "priority-high"),
        ("/quantum Priority High", "priority-high"),
        ("/quantum", None),
        ("/quantum launch", None),
        ("please /quantum merge", None),
        ("", None),
    ],
)
def test_parse_command(body, command):
    assert parse_command(body) == command


def work(event: str, payload: dict, **kwargs) -> list:
    return [h for h in parse_event(event, payload, **kwargs) if not isinstance(h, InstallationHint)]


def test_github_example_payloads_parse():
    repo = ("Codertocat", "Hello-World")
    labeled = example("pull_request", "labeled.payload.json")
    labeled["label"]["name"] = "quantum:merge"
    assert work("pull_request", labeled) == [PullHint(repo, 2)]
    other = example("pull_request", "labeled.payload.json")
    assert work("pull_request", other, label="quantum:merge") == []
    status = example("status", "payload.json")
    assert work("status", status) == [BuildHint(repo, status["sha"])]
    run = example("check_run", "completed.payload.json")
    assert work("check_run", run) == [BuildHint(repo, run["check_run"]["head_sha"])]
    suite = example("check_suite", "completed.payload.json")
    assert work("check_suite", suite) == [BuildHint(repo, suite["check_suite"]["head_sha"])]
    push = example("push", "payload.json")
    assert work("push", push) == []  # a tag
    push["ref"] = "refs/heads/main"
    assert work("push", push) == [BaseHint(repo, "main")]
    installed = example("installation", "created.payload.json")
    assert parse_event("installation", installed) == [
        InstallationHint(957387, (("Codertocat", "Hello-World"),))
    ]
    assert parse_event("installation", example("installation", "deleted.payload.json")) == []
    assert parse_event("merge_group", example("merge_group", "checks_requested.payload.json")) == []
    assert parse_event("ping", example("ping", "payload.json")) == []


def test_comment_commands_need_an_allowed_author_and_a_human():
    comment = example("issue_comment", "created.payload.json")
    comment["issue"]["pull_request"] = {"url": "x"}
    comment["comment"]["body"] = "/quantum merge"
    number = comment["issue"]["number"]
    repo = ("Codertocat", "Hello-World")
    assert work("issue_comment", comment) == [CommandHint(repo, number, "merge")]
    assert work("issue_comment", comment, allowed=frozenset({"MEMBER"})) == []
    comment["comment"]["user"]["type"] = "Bot"
    assert work("issue_comment", comment) == []
    del comment["issue"]["pull_request"]
    assert work("issue_comment", comment) == []


def test_installation_id_becomes_a_hint_first():
    status = example("status", "with-installation.payload.json")
    hints = parse_event("status", status)
    assert isinstance(hints[0], InstallationHint)
    assert isinstance(hints[1], BuildHint)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {},
        {"action": "labeled", "repository": {"full_name": "no-slash"}},
        {"action": "synchronize", "repository": {"full_name": "a/b"}, "pull_request": {}},
        {"action": "opened", "repository": {"full_name": "a/b"}, "pull_request": {"number": "1"}},
        {"action": "opened", "repository": {"full_name": "a/b"}, "pull_request": {"number": True}},
    ],
)
def test_missing_or_mistyped_fields_are_payload_errors(payload):
    with pytest.raises(PayloadError):
        parse_event("pull_request", payload)
