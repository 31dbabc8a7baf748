from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from githubkit.exception import RequestFailed

from velocity.testing.github import FIXTURES_ENV
from velocity.testing.github import FixturesMissingError
from velocity.testing.github import GitHubDouble
from velocity.testing.github import SchemaViolationError
from velocity.testing.github import fixtures_dir
from velocity.testing.github._openapi import _to_json_schema
from velocity.testing.github._openapi import load_spec

OWNER, REPO = "velocity", "demo"


def _auth(double: GitHubDouble) -> dict[str, str]:
    token, _ = double.app.issue_token()
    return {"Authorization": f"token {token}"}


def test_bad_request_body_is_a_recorded_violation(gh, double):
    sha = double.rev_parse(OWNER, REPO, "main")
    url = f"{double.base_url}repos/{OWNER}/{REPO}/statuses/{sha}"
    answer = httpx.post(url, json={"state": "green"}, headers=_auth(double))
    assert answer.status_code == 422
    [violation] = double.violations
    assert violation.kind == "request"
    assert "repos/create-commit-status" in violation.where
    assert any("'green' is not one of" in error for error in violation.errors)
    with pytest.raises(SchemaViolationError, match="green"):
        double.assert_no_violations()
    double.violations_log.clear()


def test_bad_path_parameter_is_a_violation(double):
    answer = httpx.get(f"{double.base_url}repos/{OWNER}/{REPO}/pulls/abc", headers=_auth(double))
    assert answer.status_code == 422
    assert "path parameter pull_number" in double.violations[0].errors[0]
    double.violations_log.clear()


def test_path_outside_the_subset_is_a_violation(double):
    answer = httpx.get(f"{double.base_url}repos/{OWNER}/{REPO}/issues", headers=_auth(double))
    assert answer.status_code == 404
    assert double.violations[0].errors == ("not a path of the subset",)
    double.violations_log.clear()


def test_response_breaking_the_schema_fails_loudly(gh, double, monkeypatch):
    from velocity.testing.github import _routes

    monkeypatch.setitem(_routes.HANDLERS, "repos/get", lambda call: (200, {"id": "nope"}))
    with pytest.raises(RequestFailed) as failure:
        gh.rest.repos.get(OWNER, REPO)
    assert failure.value.response.status_code == 418
    assert "broke the OpenAPI subset" in failure.value.response.json()["message"]
    [violation] = double.violations
    assert violation.kind == "response"
    assert violation.where.endswith("(repos/get) -> 200")
    double.violations_log.clear()


def test_undocumented_success_status_is_a_violation(gh, double, monkeypatch):
    from velocity.testing.github import _routes

    monkeypatch.setitem(_routes.HANDLERS, "pulls/list-reviews", lambda call: (201, []))
    double.push(OWNER, REPO, "r", {"r": "r\n"}, "r")
    gh.rest.pulls.create(OWNER, REPO, title="r", head="r", base="main")
    with pytest.raises(RequestFailed):
        gh.rest.pulls.list_reviews(OWNER, REPO, 1)
    assert "status 201 is not documented" in double.violations[0].errors[0]
    double.violations_log.clear()


def test_unimplemented_operation_is_501(gh, double, monkeypatch):
    from velocity.testing.github import _routes

    monkeypatch.delitem(_routes.HANDLERS, "pulls/list-reviews")
    double.push(OWNER, REPO, "r", {"r": "r\n"}, "r")
    gh.rest.pulls.create(OWNER, REPO, title="r", head="r", base="main")
    with pytest.raises(RequestFailed) as failure:
        gh.rest.pulls.list_reviews(OWNER, REPO, 1)
    assert failure.value.response.status_code == 501
    assert "pulls/list-reviews" in failure.value.response.json()["message"]


def test_every_subset_operation_is_implemented():
    raw = json.loads((fixtures_dir() / "github-openapi-subset.json").read_text())
    in_subset = {
        op["operationId"]
        for item in raw["paths"].values()
        for method, op in item.items()
        if method != "parameters"
    }
    implemented = set(GitHubDouble.implemented_operations())
    assert len(raw["paths"]) == 32
    assert in_subset <= implemented
    # The one supplemented operation the subset lacks (see velocity.testing.github._supplement).
    assert implemented - in_subset == {"pulls/create"}


def test_nullable_becomes_json_schema_null():
    assert _to_json_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert _to_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert _to_json_schema({"allOf": [{"$ref": "#/x"}], "nullable": True}) == {
        "anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]
    }
    spec = load_spec()
    assert spec.errors("/components/schemas/nullable-simple-user", None) == []
    assert spec.errors("/components/schemas/simple-user", None) != []


def test_fixture_location_can_be_overridden(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(FIXTURES_ENV, str(tmp_path))
    with pytest.raises(FixturesMissingError, match=FIXTURES_ENV):
        fixtures_dir()
    (tmp_path / "github-openapi-subset.json").write_text("{}")
    assert fixtures_dir() == tmp_path


def test_default_fixture_location_is_next_to_the_checkout(monkeypatch):
    monkeypatch.delenv(FIXTURES_ENV, raising=False)
    repo_root = Path(__file__).resolve().parents[3]
    assert fixtures_dir() == repo_root.parent / "shared" / "fixtures"
