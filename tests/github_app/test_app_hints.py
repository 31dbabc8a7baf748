from __future__ import annotations

import time

from app_support import LABEL
from app_support import OWNER
from app_support import REPO
from app_support import first_parent_subjects
from app_support import git
from app_support import open_pr
from app_support import our_status
from app_support import queue_state
from app_support import running
from velocity_github_app import AppConfig


def deep(app_config: AppConfig) -> AppConfig:
    return AppConfig(**{**app_config.__dict__, "depth": 3})


def take(double):
    pending = list(double.webhooks.pending)
    double.webhooks.pending.clear()
    return pending


def redeliver_scrambled(app, double, deliveries, times=3):
    """Send *deliveries* newest first, each several times (same delivery id)."""
    for _ in range(times):
        for delivery in reversed(deliveries):
            assert double.webhooks.send(delivery).status_code in (200, 202)
    app.settle()


def queued(app):
    return [e.pr for e in queue_state(app).queue]


def test_reordered_and_repeated_deliveries_merge_each_pr_once(double, serve, ci):
    from app_support import CONFIG

    app = serve(deep(CONFIG))
    prs = [open_pr(double, f"r{i}", {f"r{i}.txt": f"{i}\n"}) for i in (1, 2, 3)]
    for number in prs:
        double.label(OWNER, REPO, number, LABEL)
    redeliver_scrambled(app, double, take(double))
    assert sorted(queued(app)) == prs
    for build_id in running(app):
        ci.status(ci.spec_sha(build_id), "success")
    redeliver_scrambled(app, double, take(double))
    app.settle()
    merges = [s for s in first_parent_subjects(double) if s.startswith("Merge pull request")]
    assert len(merges) == 3
    assert sorted(int(s.split()[3][1:]) for s in merges) == prs
    assert app.runner.metrics.value("velocity_github_app_merges_total") == 3
    duplicates = app.runner.metrics.value(
        "velocity_github_app_deliveries_total", event="status", result="duplicate"
    )
    assert duplicates >= 3 * 2


def test_reconcile_repairs_dropped_deliveries(double, serve, ci):
    app = serve()
    number = open_pr(double, "dropped", {"d.txt": "d\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()  # the app learns about the repository
    double.unlabel(OWNER, REPO, number, LABEL)
    take(double)  # the unlabel is lost
    app.reconcile()
    assert queued(app) == []
    double.label(OWNER, REPO, number, LABEL)
    take(double)  # ... and so is the new label
    app.reconcile()
    (build,) = running(app)
    take(double)
    ci.status(ci.spec_sha(build), "success")
    take(double)  # and the CI result
    app.reconcile()
    assert git(double, "show", "main:d.txt") == "d\n"
    take(double)


def test_comment_commands(double, serve):
    from app_support import CONFIG

    app = serve(deep(CONFIG))
    one, two = open_pr(double, "c1", {"c1.txt": "1\n"}), open_pr(double, "c2", {"c2.txt": "2\n"})
    double.comment(OWNER, REPO, one, "/quantum merge")
    app.settle()
    assert queued(app) == [one]
    assert LABEL in double.state.pull(double.state.repo(OWNER, REPO), one).labels
    double.comment(OWNER, REPO, two, "please\n/quantum priority high")
    app.settle()
    assert queued(app) == [two, one]
    double.comment(OWNER, REPO, two, "/quantum cancel")
    app.settle()
    assert queued(app) == [one]
    assert LABEL not in double.state.pull(double.state.repo(OWNER, REPO), two).labels
    assert our_status(double, double.rev_parse(OWNER, REPO, "c2"))["state"] == "error"


def test_unlabel_and_merge_outside_the_queue_dequeue(double, serve, ci):
    app = serve()
    one, two = open_pr(double, "u1", {"u1.txt": "1\n"}), open_pr(double, "u2", {"u2.txt": "2\n"})
    double.label(OWNER, REPO, one, LABEL)
    double.label(OWNER, REPO, two, LABEL)
    app.settle()
    assert sorted(queued(app)) == [one, two]
    double.unlabel(OWNER, REPO, one, LABEL)
    app.settle()
    assert queued(app) == [two]
    gh = ci.client()
    gh.rest.pulls.merge(OWNER, REPO, two)  # a maintainer merges by hand (the double can't close)
    app.settle()
    assert queued(app) == []
    assert queue_state(app).base_sha == double.rev_parse(OWNER, REPO, "main")


def test_base_moved_outside_the_queue_rebuilds(double, serve, ci):
    app = serve()
    number = open_pr(double, "b1", {"b1.txt": "1\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()
    (old,) = running(app)
    old_sha = ci.spec_sha(old)
    new_main = double.push(OWNER, REPO, "main", {"hotfix.txt": "fix\n"})
    app.settle()
    (new,) = running(app)
    assert new != old
    assert queue_state(app).base_sha == new_main
    assert ci.double.rev_parse(OWNER, REPO, f"quantum/spec/{old}") is None  # deleted
    ci.status(old_sha, "success")  # a stale build's result changes nothing
    app.settle()
    assert double.rev_parse(OWNER, REPO, "main") == new_main
    ci.status(ci.spec_sha(new), "success")
    app.settle()
    assert git(double, "show", "main:hotfix.txt", "main:b1.txt") == "fix\n1\n"


def test_installation_event_records_the_installation(double, serve):
    app = serve()
    delivery = double.emit_example("installation", "created", OWNER, REPO)
    app.settle()
    listed = [r["full_name"] for r in delivery.payload.get("repositories", [])]
    ident = str(delivery.payload["installation"]["id"])
    for full_name in listed:
        assert app.runner.stores.ledger.get(f"installation:{full_name}") == ident
    assert app.runner.stores.ledger.members("repos") >= set(listed)


def test_periodic_reconcile_runs_without_being_asked(double, serve, ci):
    from app_support import CONFIG

    app = serve(AppConfig(**{**CONFIG.__dict__, "reconcile_interval": 0.2}))
    number = open_pr(double, "tick", {"t.txt": "t\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()
    (build,) = running(app)
    double.set_webhook(None)  # from now on every delivery is lost
    ci.status(ci.spec_sha(build), "success")
    deadline = time.monotonic() + 20
    main = double.rev_parse(OWNER, REPO, "main")
    while double.rev_parse(OWNER, REPO, "main") == main:
        assert time.monotonic() < deadline, "the periodic reconcile never merged"
        time.sleep(0.1)
    assert app.runner.wait_idle(30)
    assert git(double, "show", "main:t.txt") == "t\n"
    double.webhooks.pending.clear()


def test_reconcile_restarts_a_build_whose_branch_was_never_made(double, serve, ci):
    app = serve()
    number = open_pr(double, "crash", {"c.txt": "c\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()
    (build,) = running(app)
    # As if the app died after the transition, before it made the speculative commit.
    ledger = app.runner.stores.ledger
    ledger.delete(f"build:{OWNER}/{REPO}:{build}")
    git(double, "update-ref", "-d", f"refs/heads/quantum/spec/{build}")
    app.reconcile()
    assert running(app) == [build]
    ci.status(ci.spec_sha(build), "success")
    app.settle()
    assert git(double, "show", "main:c.txt") == "c\n"
