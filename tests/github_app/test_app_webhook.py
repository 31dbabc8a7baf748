from __future__ import annotations

import json

import pytest
from app_support import CONFIG
from app_support import LABEL
from app_support import OWNER
from app_support import REPO
from app_support import ASGIClient
from app_support import client_factory
from app_support import open_pr
from velocity_github_app import create_app

from velocity.testing.github import Delivery
from velocity.testing.github import sign


@pytest.fixture
def handler(double, settings, stores):
    """Only the handler: the runner is not started, so queued hints stay countable."""
    app = create_app(
        settings,
        stores=stores,
        github_client_factory=client_factory(double),
        config=CONFIG,
        run_in_background=False,
    )
    return ASGIClient(app), app.state.runner


def take(double) -> list[Delivery]:
    pending = list(double.webhooks.pending)
    double.webhooks.pending.clear()
    return pending


def post(client: ASGIClient, delivery: Delivery, **headers: str):
    return client.post("/webhook", content=delivery.body, headers={**delivery.headers, **headers})


def test_labeled_pull_request_is_accepted_and_queued(double, handler):
    client, runner = handler
    number = open_pr(double, "feature", {"a.txt": "a\n"})
    double.label(OWNER, REPO, number, LABEL)
    labeled = [d for d in take(double) if d.action == "labeled"]
    response = post(client, labeled[0])
    assert response.status_code == 202
    assert response.json() == {"result": "accepted", "hints": 2}  # installation + pull request
    assert runner.pending() == 2


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=whatever",
        "deadbeef",
    ],
)
def test_bad_or_missing_signature_is_401_and_nothing_is_queued(double, handler, signature):
    client, runner = handler
    number = open_pr(double, "feature", {"a.txt": "a\n"})
    double.label(OWNER, REPO, number, LABEL)
    delivery = take(double)[-1]
    headers = {k: v for k, v in delivery.headers.items() if k != "X-Hub-Signature-256"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    response = client.post("/webhook", content=delivery.body, headers=headers)
    assert response.status_code == 401
    assert runner.pending() == 0
    # The delivery id was not spent: the genuine delivery still goes through.
    assert post(client, delivery).status_code == 202


def test_only_sha256_counts_even_when_the_sha1_signature_is_valid(double, handler):
    client, _ = handler
    delivery = double.emit_example("ping", None, OWNER, REPO)
    headers = {k: v for k, v in delivery.headers.items() if k != "X-Hub-Signature-256"}
    assert client.post("/webhook", content=delivery.body, headers=headers).status_code == 401
    take(double)


def test_tampered_body_is_401(double, handler):
    client, runner = handler
    number = open_pr(double, "feature", {"a.txt": "a\n"})
    double.label(OWNER, REPO, number, LABEL)
    delivery = take(double)[-1]
    body = delivery.body.replace(b'"labeled"', b'"unlabeled"')
    response = client.post("/webhook", content=body, headers=delivery.headers)
    assert (response.status_code, runner.pending()) == (401, 0)


def test_duplicate_delivery_is_processed_once(double, handler):
    client, runner = handler
    number = open_pr(double, "feature", {"a.txt": "a\n"})
    double.label(OWNER, REPO, number, LABEL)
    delivery = take(double)[-1]
    assert post(client, delivery).status_code == 202
    queued = runner.pending()
    for _ in range(3):
        response = post(client, delivery)
        assert (response.status_code, response.json()["result"]) == (200, "duplicate")
    assert runner.pending() == queued


def test_merge_group_and_unknown_events_are_ignored_safely(double, handler):
    client, runner = handler
    for delivery in (
        double.emit_example("merge_group", "checks_requested", OWNER, REPO),
        double.emit_example("ping", None, OWNER, REPO),
    ):
        response = post(client, delivery)
        assert (response.status_code, response.json()["result"]) == (202, "ignored")
    take(double)
    assert runner.pending() == 0


def test_other_labels_and_plain_comments_are_ignored(double, handler):
    client, runner = handler
    number = open_pr(double, "feature", {"a.txt": "a\n"})
    double.label(OWNER, REPO, number, "bug")
    double.comment(OWNER, REPO, number, "looks good to me")
    for delivery in take(double):
        if delivery.event in ("pull_request", "issue_comment") and delivery.action != "opened":
            assert post(client, delivery).json()["result"] == "ignored"
    assert runner.pending() == 0


def test_signed_but_malformed_payload_is_400(double, handler):
    client, runner = handler
    for body in (b"not json", json.dumps({"action": "labeled"}).encode(), b"[1, 2]"):
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "d-" + str(len(body)),
            "X-Hub-Signature-256": sign(double.webhook_secret, body),
        }
        assert client.post("/webhook", content=body, headers=headers).status_code == 400
    assert runner.pending() == 0


def test_missing_delivery_id_is_400(double, handler):
    client, _ = handler
    delivery = double.emit_example("ping", None, OWNER, REPO)
    headers = {k: v for k, v in delivery.headers.items() if k != "X-GitHub-Delivery"}
    assert client.post("/webhook", content=delivery.body, headers=headers).status_code == 400
    take(double)


def test_healthz_and_metrics(double, handler):
    client, _ = handler
    assert client.get("/healthz").json() == {"status": "ok", "pending": 0}
    delivery = double.emit_example("ping", None, OWNER, REPO)
    post(client, delivery)
    post(client, delivery)
    client.post("/webhook", content=b"{}", headers={"X-GitHub-Event": "push"})
    take(double)
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'velocity_github_app_deliveries_total{event="ping",result="ignored"} 1' in text
    assert 'velocity_github_app_deliveries_total{event="ping",result="duplicate"} 1' in text
    assert 'velocity_github_app_deliveries_total{event="push",result="unauthorized"} 1' in text
    assert "velocity_github_app_merges_total 0" in text
    assert "# TYPE velocity_github_app_queue_length gauge" in text


def test_queue_of_unknown_repository_is_404(handler):
    client, _ = handler
    assert client.get("/queue/nobody/nothing").status_code == 404
    assert client.get("/webhook").status_code == 405
