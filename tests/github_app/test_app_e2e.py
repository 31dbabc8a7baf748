from __future__ import annotations

import pytest
from app_support import CONFIG
from app_support import LABEL
from app_support import OWNER
from app_support import REPO
from app_support import first_parent_subjects
from app_support import git
from app_support import open_pr
from app_support import our_status
from app_support import queue_state
from app_support import running
from app_support import spec_branches

DEEP = CONFIG.__class__(**{**CONFIG.__dict__, "depth": 3})

pytestmark = pytest.mark.parametrize("stores", ["sqlite", "redis"], indirect=True)


def label_all(double, numbers):
    for number in numbers:
        double.label(OWNER, REPO, number, LABEL)


def test_three_prs_build_speculatively_and_merge_in_order(double, serve, ci):
    app = serve(DEEP)
    prs = [open_pr(double, f"f{i}", {f"f{i}.txt": f"{i}\n"}) for i in (1, 2, 3)]
    label_all(double, prs)
    app.settle()
    builds = running(app)
    assert len(builds) == 3  # base+#1, base+#1+#2, base+#1+#2+#3 at once
    assert len(spec_branches(double)) == 3
    assert our_status(double, double.rev_parse(OWNER, REPO, "f3"))["description"].startswith(
        "Speculative Build: Pending"
    )
    for build_id in reversed(builds):  # CI finishes out of order: the longest first
        ci.status(ci.spec_sha(build_id), "success")
        ci.check_run(ci.spec_sha(build_id), "success")
    app.settle()
    subjects = first_parent_subjects(double)
    assert [s.split()[3] for s in subjects[:3]] == ["#3", "#2", "#1"]
    assert git(double, "show", "main:f1.txt", "main:f2.txt", "main:f3.txt") == "1\n2\n3\n"
    assert spec_branches(double) == []
    state = queue_state(app)
    assert (state.queue, state.builds, state.landed) == ((), (), ())
    assert state.base_sha == double.rev_parse(OWNER, REPO, "main")
    for number in prs:
        head = double.rev_parse(OWNER, REPO, f"f{prs.index(number) + 1}")
        assert our_status(double, head)["state"] == "success"
    assert app.runner.metrics.value("velocity_github_app_merges_total") == 3


def test_failing_build_is_ejected_with_its_reason(double, serve, ci):
    app = serve(DEEP)
    good, bad = open_pr(double, "good", {"g.txt": "g\n"}), open_pr(double, "bad", {"b.txt": "b\n"})
    label_all(double, [bad])  # events are hints: order comes from when the app sees a label
    app.settle()
    label_all(double, [good])
    app.settle()
    first, _ = running(app)
    ci.status(ci.spec_sha(first), "failure")
    app.settle()
    bad_head = double.rev_parse(OWNER, REPO, "bad")
    status = our_status(double, bad_head)
    assert status["state"] == "failure"
    assert "failed" in status["description"]
    comments = [c.body for c in double.state.comments.values() if c.issue_number == bad]
    assert any("Removed from the merge queue" in body for body in comments)
    assert LABEL not in double.state.pull(double.state.repo(OWNER, REPO), bad).labels
    # Only the build without the bad PR is left (or restarted); it passes and lands.
    (rebuilt,) = running(app)
    ci.status(ci.spec_sha(rebuilt), "success")
    app.settle()
    assert git(double, "show", "main:g.txt") == "g\n"
    assert "b.txt" not in git(double, "ls-tree", "--name-only", "main")
    assert app.runner.metrics.value("velocity_github_app_ejections_total") == 1


def test_head_moving_after_a_passed_build_prevents_the_merge(double, serve, ci):
    app = serve()
    number = open_pr(double, "moving", {"m.txt": "old\n"})
    label_all(double, [number])
    app.settle()
    main_before = double.rev_parse(OWNER, REPO, "main")
    (build,) = running(app)
    ci.status(ci.spec_sha(build), "success")  # the build of the old head passed ...
    double.push(OWNER, REPO, "moving", {"m.txt": "new\n"})  # ... and then the head moved
    app.settle()
    assert double.rev_parse(OWNER, REPO, "main") == main_before  # not merged
    (rebuild,) = running(app)
    assert rebuild != build
    ci.status(ci.spec_sha(rebuild), "success")
    app.settle()
    assert git(double, "show", "main:m.txt") == "new\n"
