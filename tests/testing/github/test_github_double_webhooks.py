from __future__ import annotations

import json
import time
import uuid

import githubkit.webhooks
import pytest

from velocity.testing.github import GitHubDouble
from velocity.testing.github import WebhookInbox
from velocity.testing.github._openapi import load_spec
from velocity.testing.github._payloads import schema_pointer

OWNER, REPO = "velocity", "demo"


def _kinds(inbox: WebhookInbox) -> list[tuple[str, str | None]]:
    return [(r.headers["x-github-event"], json.loads(r.body).get("action")) for r in inbox.received]


def test_deliveries_are_signed_and_valid(gh, double: GitHubDouble, inbox: WebhookInbox):
    double.set_webhook(inbox.url)
    head = double.push(OWNER, REPO, "feature", {"f.txt": "f\n"}, "feature")
    pull = gh.rest.pulls.create(OWNER, REPO, title="F", head="feature", base="main").parsed_data
    gh.rest.issues.add_labels(OWNER, REPO, pull.number, labels=["quantum"])
    sent = double.deliver_pending()
    assert [d.status_code for d in sent] == [202, 202, 202]
    assert _kinds(inbox) == [
        ("push", None),
        ("pull_request", "opened"),
        ("pull_request", "labeled"),
    ]
    spec = load_spec()
    for received in inbox.received:
        headers = received.headers
        assert githubkit.webhooks.verify(
            double.webhook_secret, received.body, headers["x-hub-signature-256"]
        )
        assert not githubkit.webhooks.verify("wrong", received.body, headers["x-hub-signature-256"])
        assert headers["user-agent"].startswith("GitHub-Hookshot/")
        assert headers["content-type"] == "application/json"
        uuid.UUID(headers["x-github-delivery"])
        payload = json.loads(received.body)
        assert (
            spec.errors(schema_pointer(headers["x-github-event"], payload.get("action")), payload)
            == []
        )
    labeled = json.loads(inbox.received[2].body)
    assert labeled["label"]["name"] == "quantum"
    assert labeled["pull_request"]["head"]["sha"] == head
    assert labeled["repository"]["full_name"] == f"{OWNER}/{REPO}"
    assert labeled["installation"]["id"] == double.installation_id
    assert len({r.headers["x-github-delivery"] for r in inbox.received}) == 3


def test_state_changes_emit_github_events(gh, double: GitHubDouble, inbox: WebhookInbox):
    double.set_webhook(inbox.url)
    double.push(OWNER, REPO, "feature", {"f.txt": "f\n"}, "feature")
    pull = gh.rest.pulls.create(OWNER, REPO, title="F", head="feature", base="main").parsed_data
    gh.rest.issues.add_labels(OWNER, REPO, pull.number, labels=["quantum"])
    gh.rest.issues.remove_label(OWNER, REPO, pull.number, "quantum")
    new_head = double.push(OWNER, REPO, "feature", {"f.txt": "g\n"}, "feature again")
    gh.rest.repos.create_commit_status(OWNER, REPO, new_head, state="success", context="ci")
    run = gh.rest.checks.create(OWNER, REPO, name="build", head_sha=new_head).parsed_data
    gh.rest.checks.update(OWNER, REPO, run.id, conclusion="success")
    gh.rest.pulls.merge(OWNER, REPO, pull.number, sha=new_head)
    double.comment(OWNER, REPO, pull.number, "/quantum merge", user="alice")
    double.deliver_pending()
    assert _kinds(inbox) == [
        ("push", None),
        ("pull_request", "opened"),
        ("pull_request", "labeled"),
        ("pull_request", "unlabeled"),
        ("push", None),
        ("pull_request", "synchronize"),
        ("status", None),
        ("check_run", "created"),
        ("check_run", "completed"),
        ("check_suite", "completed"),
        ("pull_request", "closed"),
        ("push", None),
        ("issue_comment", "created"),
    ]
    payloads = [json.loads(r.body) for r in inbox.received]
    sync = payloads[5]
    assert (sync["after"], sync["pull_request"]["head"]["sha"]) == (new_head, new_head)
    assert payloads[6]["sha"] == new_head
    assert payloads[9]["check_suite"]["conclusion"] == "success"
    closed = payloads[10]["pull_request"]
    assert closed["merged"] is True
    assert payloads[11]["after"] == double.rev_parse(OWNER, REPO, "main")
    comment = payloads[12]
    assert (comment["comment"]["body"], comment["sender"]["login"]) == ("/quantum merge", "alice")
    assert comment["issue"]["pull_request"]["url"].endswith(f"/pulls/{pull.number}")


def test_redelivery_keeps_the_delivery_id(double: GitHubDouble, inbox: WebhookInbox):
    double.set_webhook(inbox.url)
    double.push(OWNER, REPO, "x", {"x": "x\n"}, "x")
    [delivery] = double.deliver_pending()
    double.webhooks.send(delivery)
    ids = [r.headers["x-github-delivery"] for r in inbox.received]
    assert ids == [delivery.delivery_id] * 2


def test_auto_delivery(tmp_path, inbox: WebhookInbox):
    with GitHubDouble(tmp_path, webhook_url=inbox.url, auto_deliver=True) as double:
        double.add_repo(OWNER, REPO)
        double.push(OWNER, REPO, "x", {"x": "x\n"}, "x")
        deadline = time.monotonic() + 10
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _kinds(inbox) == [("push", None)]
        double.assert_no_violations()


def test_without_url_events_stay_queued(double: GitHubDouble):
    double.push(OWNER, REPO, "x", {"x": "x\n"}, "x")
    assert [(d.event, d.action) for d in double.webhooks.pending] == [("push", None)]
    with pytest.raises(RuntimeError, match="no webhook URL"):
        double.deliver_pending()
    assert len(double.webhooks.pending) == 1


def test_payload_breaking_the_webhook_schema_is_a_violation(double: GitHubDouble):
    delivery = double.webhooks.prepare("status", None, {"state": "green"})
    assert delivery.headers["X-GitHub-Event"] == "status"
    [violation] = double.violations
    assert (violation.kind, violation.where) == ("webhook", "status")
    double.violations_log.clear()


def test_people_act_with_their_own_login(double: GitHubDouble, inbox: WebhookInbox):
    double.set_webhook(inbox.url)
    double.push(OWNER, REPO, "mine", {"m": "m\n"}, "mine", user="alice")
    number = double.open_pull(OWNER, REPO, "mine", user="alice")
    double.label(OWNER, REPO, number, "quantum", user="bob")
    double.unlabel(OWNER, REPO, number, "quantum", user="bob")
    double.deliver_pending()
    senders = [
        (r.headers["x-github-event"], json.loads(r.body)["sender"]["login"]) for r in inbox.received
    ]
    assert senders == [
        ("push", "alice"),
        ("pull_request", "alice"),
        ("pull_request", "bob"),
        ("pull_request", "bob"),
    ]
    opened = json.loads(inbox.received[1].body)["pull_request"]
    assert opened["user"]["login"] == "alice"


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("merge_group", "checks_requested"),
        ("installation", "created"),
        ("ping", None),
        ("check_suite", "requested"),
    ],
)
def test_example_events_are_patched_and_valid(
    double: GitHubDouble, inbox: WebhookInbox, event, action
):
    double.set_webhook(inbox.url)
    delivery = double.emit_example(event, action, OWNER, REPO)
    double.deliver_pending()
    assert delivery.status_code == 202
    payload = json.loads(inbox.received[0].body)
    assert payload["installation"]["id"] == double.installation_id
    if "repository" in payload:
        assert payload["repository"]["full_name"] == f"{OWNER}/{REPO}"
