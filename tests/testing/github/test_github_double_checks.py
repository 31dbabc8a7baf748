from __future__ import annotations

import pytest
from githubkit.exception import RequestFailed

OWNER, REPO = "velocity", "demo"


@pytest.fixture
def head(double) -> str:
    return double.push(OWNER, REPO, "spec", {"s.txt": "s\n"}, "speculative build")


def test_statuses_combine_by_latest_per_context(gh, head):
    combined = gh.rest.repos.get_combined_status_for_ref(OWNER, REPO, head).parsed_data
    assert (combined.state, combined.total_count) == ("pending", 0)
    gh.rest.repos.create_commit_status(
        OWNER, REPO, head, state="pending", context="Speculative Build", description="Pending"
    )
    gh.rest.repos.create_commit_status(OWNER, REPO, head, state="success", context="lint")
    combined = gh.rest.repos.get_combined_status_for_ref(OWNER, REPO, head).parsed_data
    assert combined.state == "pending"
    status = gh.rest.repos.create_commit_status(
        OWNER,
        REPO,
        head,
        state="failure",
        context="Speculative Build",
        description="ejected: tests failed",
        target_url="http://ci.invalid/1",
    ).parsed_data
    assert (status.state, status.creator.login) == ("failure", "velocity-quantum[bot]")
    combined = gh.rest.repos.get_combined_status_for_ref(OWNER, REPO, "spec").parsed_data
    assert combined.state == "failure"
    assert sorted(s.context for s in combined.statuses) == ["Speculative Build", "lint"]
    listed = gh.rest.repos.list_commit_statuses_for_ref(OWNER, REPO, head).parsed_data
    assert [s.state for s in listed] == ["failure", "success", "pending"]


def test_status_for_unknown_sha_is_422(gh):
    with pytest.raises(RequestFailed) as failure:
        gh.rest.repos.create_commit_status(OWNER, REPO, "1" * 40, state="success")
    assert failure.value.response.status_code == 422


def test_check_run_create_update_list(gh, head):
    run = gh.rest.checks.create(
        OWNER,
        REPO,
        name="Speculative Build",
        head_sha=head,
        status="in_progress",
        external_id="batch-1",
    ).parsed_data
    assert (run.status, run.conclusion, run.head_sha) == ("in_progress", None, head)
    done = gh.rest.checks.update(
        OWNER,
        REPO,
        run.id,
        conclusion="failure",
        output={"title": "Ejected", "summary": "tests failed on base+P1"},
    ).parsed_data
    assert (done.status, done.conclusion, done.output.title) == ("completed", "failure", "Ejected")
    assert gh.rest.checks.get(OWNER, REPO, run.id).parsed_data.completed_at is not None
    listed = gh.rest.checks.list_for_ref(OWNER, REPO, head).parsed_data
    assert [(r.id, r.conclusion) for r in listed.check_runs] == [(run.id, "failure")]
    suites = gh.rest.checks.list_suites_for_ref(OWNER, REPO, head).parsed_data
    assert [(s.status, s.conclusion) for s in suites.check_suites] == [("completed", "failure")]


def test_check_run_list_filters_by_name(gh, head):
    for name in ("a", "b"):
        gh.rest.checks.create(OWNER, REPO, name=name, head_sha=head)
    listed = gh.rest.checks.list_for_ref(OWNER, REPO, head, check_name="b").parsed_data
    assert [r.name for r in listed.check_runs] == ["b"]


def test_unknown_check_run_is_404(gh):
    with pytest.raises(RequestFailed) as failure:
        gh.rest.checks.get(OWNER, REPO, 999999)
    assert failure.value.response.status_code == 404
