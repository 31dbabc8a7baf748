from __future__ import annotations

from app_support import CONFIG
from app_support import LABEL
from app_support import OWNER
from app_support import REPO
from app_support import git
from app_support import open_pr
from app_support import queue_state
from app_support import running
from velocity_github_app import AppConfig

from velocity.quantum import BuildFinished
from velocity.quantum import step


def test_a_merge_interrupted_by_a_crash_is_redone_by_reconcile(double, serve, ci):
    app = serve()
    number = open_pr(double, "halfway", {"h.txt": "h\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()
    (build,) = running(app)
    # The engine recorded the merge, then the app died before calling GitHub.
    store = app.runner.stores.queue(OWNER, REPO)
    state, _ = store.transition(
        lambda s: step(app.runner.strategy, s, BuildFinished(build, "pass"))
    )
    assert state.landed
    assert state.final_state(number) == "merged"
    app.reconcile()
    state = queue_state(app)
    assert (state.landed, [e.pr for e in state.queue]) == ((), [number])
    (rebuild,) = running(app)
    ci.status(ci.spec_sha(rebuild), "success")
    app.settle()
    assert git(double, "show", "main:h.txt") == "h\n"
    assert queue_state(app).final_state(number) == "merged"


def test_priority_high_moves_a_queued_pr_to_the_front(double, serve):
    app = serve(AppConfig(**{**CONFIG.__dict__, "depth": 2}))
    one, two = open_pr(double, "p1", {"p1.txt": "1\n"}), open_pr(double, "p2", {"p2.txt": "2\n"})
    double.label(OWNER, REPO, one, LABEL)
    app.settle()
    double.label(OWNER, REPO, two, LABEL)
    app.settle()
    assert [e.pr for e in queue_state(app).queue] == [one, two]
    double.comment(OWNER, REPO, two, "/quantum priority high")
    app.settle()
    assert [(e.pr, e.priority) for e in queue_state(app).queue] == [(two, 1), (one, 0)]
    double.comment(OWNER, REPO, two, "/quantum priority high")  # already high: nothing moves
    app.settle()
    assert [e.pr for e in queue_state(app).queue] == [two, one]


def test_a_pr_closed_while_queued_is_dropped_by_reconcile(double, serve, ci):
    app = serve()
    number = open_pr(double, "gone", {"g.txt": "g\n"})
    double.label(OWNER, REPO, number, LABEL)
    app.settle()
    gh = ci.client()
    gh.rest.pulls.merge(OWNER, REPO, number)  # merged by hand; every event is lost
    double.webhooks.pending.clear()
    app.reconcile()
    assert queue_state(app).queue == ()
    assert running(app) == []
