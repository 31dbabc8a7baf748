from __future__ import annotations

import pytest
import velocity_github_app
from app_support import CI
from app_support import CONFIG
from app_support import OWNER
from app_support import REPO
from app_support import ASGIClient
from app_support import client_factory
from app_support import open_pr
from githubkit.exception import RequestFailed
from pydantic import SecretStr
from velocity_github_app import GitHubForge
from velocity_github_app import Stores
from velocity_github_app import create_app
from velocity_github_app import open_stores
from velocity_github_app.events import InstallationHint
from velocity_github_app.events import PayloadError
from velocity_github_app.events import parse_event
from velocity_github_app.forge import MergeRefused
from velocity_github_app.forge import SpecConflict
from velocity_github_app.forge import _outcome

from velocity.core.config import QuantumSettings
from velocity.core.errors import VelocityError


@pytest.fixture
def forge(double):
    gh = CI(double).client()
    return GitHubForge(gh, OWNER, REPO)


def test_version_is_the_distributions():
    assert velocity_github_app.__version__ == "0.1.0"
    with pytest.raises(AttributeError):
        _ = velocity_github_app.nothing_here


def test_forge_branches_and_spec_commits(double, forge):
    assert forge.default_branch() == "main"
    assert forge.branch_sha("no-such-branch") is None
    base = forge.branch_sha("main")
    head = double.push(OWNER, REPO, "topic", {"t.txt": "t\n"})
    first = forge.build_spec("quantum/spec/x", base, [head])
    again = forge.build_spec("quantum/spec/x", base, [head, head])  # exists: started over
    assert forge.tree_of(first) == forge.tree_of(again)
    other = double.push(OWNER, REPO, "other", {"t.txt": "other\n"})
    with pytest.raises(SpecConflict) as conflict:
        forge.build_spec("quantum/spec/y", base, [head, other])
    assert conflict.value.index == 1
    with pytest.raises(RequestFailed):
        forge.build_spec("quantum/spec/z", base, ["f" * 40])
    forge.delete_branch("quantum/spec/x")
    forge.delete_branch("quantum/spec/x")  # already gone
    assert forge.branch_sha("quantum/spec/x") is None
    double.webhooks.pending.clear()


def test_forge_pulls_labels_and_merges(double, forge):
    number = open_pr(double, "m", {"m.txt": "m\n"})
    pull = forge.pull(number)
    assert (pull.open, pull.merged, pull.base_ref, pull.labels) == (
        True,
        False,
        "main",
        frozenset(),
    )
    forge.set_label(number, "quantum:merge", True)
    assert forge.open_pulls("main")[0].labels == {"quantum:merge"}
    forge.set_label(number, "quantum:merge", False)
    forge.set_label(number, "quantum:merge", False)  # not there: fine
    with pytest.raises(MergeRefused) as refused:
        forge.merge_pull(number, "0" * 40, "merge")
    assert refused.value.status == 409
    forge.merge_pull(number, pull.head_sha, "merge")
    assert forge.pull(number).merged
    with pytest.raises(MergeRefused):
        forge.merge_pull(number, pull.head_sha, "merge")
    double.webhooks.pending.clear()


def test_ci_outcome_rules():
    assert _outcome({}, ()) is None
    assert _outcome({"a": "success", "b": None}, ()) is None
    assert _outcome({"a": "success"}, ("b",)) is None
    assert _outcome({"a": "success", "b": "success"}, ("b",)) == "pass"
    assert _outcome({"a": "error", "b": None}, ()) == "error"
    assert _outcome({"a": "error", "b": "timed_out"}, ()) == "fail"


def test_stores_configuration(tmp_path):
    with pytest.raises(VelocityError):
        Stores("mongo", tmp_path)
    with pytest.raises(VelocityError):
        open_stores(QuantumSettings(store="redis"))
    stores = open_stores(QuantumSettings(sqlite_path=tmp_path / "q" / "quantum.sqlite3"))
    assert stores.backend == "sqlite"
    stores.close()


def test_open_stores_for_redis(redis_server):
    stores = open_stores(QuantumSettings(store="redis", redis_url=SecretStr(redis_server.url)))
    assert stores.ledger.first_delivery("x")
    stores.close()


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("issue_comment", {"action": "created", "repository": {"full_name": "a/b"}, "issue": 3}),
        ("push", {"ref": "refs/heads/main", "repository": {"full_name": "a//b"}}),
        (
            "installation",
            {"action": "created", "installation": {"id": 1}, "repositories": {"a": 1}},
        ),
        ("status", {"sha": "", "repository": {"full_name": "a/b"}}),
        ("status", {"sha": "abc", "repository": {"full_name": "a/b"}, "installation": 5}),
    ],
)
def test_more_payload_errors(event, payload):
    if payload.get("installation") == 5:
        assert not any(isinstance(h, InstallationHint) for h in parse_event(event, payload))
        return
    with pytest.raises(PayloadError):
        parse_event(event, payload)


def test_runner_survives_a_failing_hint_and_counts_it(double, settings, stores):
    def broken():
        raise RuntimeError("no GitHub today")

    app = create_app(settings, stores=stores, github_client_factory=broken, config=CONFIG)
    runner = app.state.runner
    runner.start()
    runner.start()  # idempotent
    number = open_pr(double, "e", {"e.txt": "e\n"})
    double.label(OWNER, REPO, number, "quantum:merge")
    for delivery in list(double.webhooks.pending):
        ASGIClient(app).post("/webhook", content=delivery.body, headers=delivery.headers)
    double.webhooks.pending.clear()
    assert runner.wait_idle(10)
    assert runner.metrics.value("velocity_github_app_errors_total") >= 1
    # The repository is known but has no queue yet: the views say so instead of failing.
    client = ASGIClient(app)
    assert client.get(f"/queue/{OWNER}/{REPO}").status_code == 404
    assert f'queue_length{{repo="{OWNER}/{REPO}"}} 0' in client.get("/metrics").text
    runner.stop()
    runner.stop()


def test_installation_is_looked_up_when_no_event_named_it(double, settings, stores, ci):
    app = create_app(
        settings, stores=stores, github_client_factory=client_factory(double), config=CONFIG
    )
    runner = app.state.runner
    runner.start()
    try:
        runner.reconcile_soon()
        stores.ledger.add("repos", f"{OWNER}/{REPO}")  # known, installation id not recorded
        runner.reconcile_soon()
        assert runner.wait_idle(30)
        assert stores.ledger.get(f"installation:{OWNER}/{REPO}") == str(double.installation_id)
    finally:
        runner.stop()
