from __future__ import annotations

import pytest
from app_support import CONFIG
from app_support import LABEL
from app_support import OWNER
from app_support import REPO
from app_support import ASGIClient
from app_support import client_factory
from app_support import git
from app_support import open_pr
from app_support import our_status
from app_support import running
from velocity_github_app import AppConfig
from velocity_github_app import Stores
from velocity_github_app import create_app


def test_a_409_on_merge_requeues_the_pr(double, serve, ci):
    app = serve()
    number = open_pr(double, "racy", {"r.txt": "old\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()
    (build,) = running(app)
    main_before = double.rev_parse(OWNER, REPO, "main")
    forge = app.runner._queues[(OWNER, REPO)].forge
    real_merge = forge.merge_pull
    moved: list[str] = []

    def racing_merge(pr, sha, method):
        if not moved:  # the author pushes between the last read and the merge call
            moved.append(double.push(OWNER, REPO, "racy", {"r.txt": "new\n"}))
        return real_merge(pr, sha, method)

    forge.merge_pull = racing_merge
    ci.status(ci.spec_sha(build), "success")
    app.settle()
    assert double.rev_parse(OWNER, REPO, "main") == main_before
    assert [r for r in double.requests if r[0] == "PUT"] == [
        ("PUT", f"/repos/{OWNER}/{REPO}/pulls/{number}/merge", 409)
    ]
    (rebuild,) = running(app)
    assert rebuild != build
    assert our_status(double, moved[0])["state"] == "pending"
    ci.status(ci.spec_sha(rebuild), "success")
    app.settle()
    assert git(double, "show", "main:r.txt") == "new\n"


def test_conflicting_pr_is_ejected_before_any_build(double, serve, ci):
    app = serve(AppConfig(**{**CONFIG.__dict__, "depth": 3}))
    one = open_pr(double, "x1", {"same.txt": "one\n"})
    two = open_pr(double, "x2", {"same.txt": "two\n"})
    double.label(OWNER, REPO, one, LABEL)
    app.settle()
    double.label(OWNER, REPO, two, LABEL)
    app.settle()
    status = our_status(double, double.rev_parse(OWNER, REPO, "x2"))
    assert status["state"] == "failure"
    assert "merge conflict" in status["description"]
    (build,) = running(app)
    ci.status(ci.spec_sha(build), "success")
    app.settle()
    assert git(double, "show", "main:same.txt") == "one\n"


@pytest.mark.parametrize("stores", ["redis"], indirect=True)
def test_replicas_sharing_redis_process_a_delivery_once(double, settings, stores, redis_server):
    number = open_pr(double, "rep", {"rep.txt": "1\n"})
    double.label(OWNER, REPO, number, LABEL)
    delivery = double.webhooks.pending[-1]
    double.webhooks.pending.clear()
    other = Stores("redis", redis_server.url)
    try:
        answers = []
        for replica_stores in (stores, other, stores):
            app = create_app(
                settings,
                stores=replica_stores,
                github_client_factory=client_factory(double),
                config=CONFIG,
                run_in_background=False,
            )
            response = ASGIClient(app).post(
                "/webhook", content=delivery.body, headers=delivery.headers
            )
            answers.append((response.status_code, app.state.runner.pending()))
    finally:
        other.close()
    assert answers == [(202, 2), (200, 0), (200, 0)]
