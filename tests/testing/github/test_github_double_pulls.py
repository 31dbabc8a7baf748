from __future__ import annotations

import subprocess

import pytest
from githubkit import AppAuthStrategy
from githubkit import GitHub
from githubkit.exception import RequestFailed

from velocity.testing.github import GitHubDouble

OWNER, REPO = "velocity", "demo"


def _git(double: GitHubDouble, *args: str) -> str:
    path = double.repo_path(OWNER, REPO)
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def _open(gh: GitHub[AppAuthStrategy], double: GitHubDouble, branch: str, files: dict[str, str]):
    double.push(OWNER, REPO, branch, files, f"work on {branch}")
    return gh.rest.pulls.create(OWNER, REPO, title=branch, head=branch, base="main").parsed_data


def test_create_pull_from_pushed_branch(gh, double):
    head = double.push(OWNER, REPO, "feature", {"app.py": "print('hi')\n"}, "add app")
    pull = gh.rest.pulls.create(
        OWNER, REPO, title="Feature", head="feature", base="main", body="please"
    ).parsed_data
    assert (pull.number, pull.head.sha, pull.head.ref, pull.base.ref) == (
        1,
        head,
        "feature",
        "main",
    )
    assert pull.base.sha == _git(double, "rev-parse", "main")
    assert (pull.mergeable, pull.commits, pull.changed_files) == (True, 1, 1)
    assert [p.number for p in gh.rest.pulls.list(OWNER, REPO).parsed_data] == [1]
    files = gh.rest.pulls.list_files(OWNER, REPO, 1).parsed_data
    assert [(f.filename, f.status, f.additions) for f in files] == [("app.py", "added", 1)]
    commits = gh.rest.pulls.list_commits(OWNER, REPO, 1).parsed_data
    assert [c.sha for c in commits] == [head]
    assert gh.rest.pulls.list_reviews(OWNER, REPO, 1).parsed_data == []


def test_pull_for_missing_branch_is_422(gh):
    with pytest.raises(RequestFailed) as failure:
        gh.rest.pulls.create(OWNER, REPO, title="x", head="nope", base="main")
    assert failure.value.response.status_code == 422


def test_labels_add_and_remove(gh, double):
    pull = _open(gh, double, "labels", {"a": "1\n"})
    labels = gh.rest.issues.add_labels(OWNER, REPO, pull.number, labels=["quantum", "x"])
    assert [label.name for label in labels.parsed_data] == ["quantum", "x"]
    left = gh.rest.issues.remove_label(OWNER, REPO, pull.number, "x").parsed_data
    assert [label.name for label in left] == ["quantum"]
    with pytest.raises(RequestFailed) as failure:
        gh.rest.issues.remove_label(OWNER, REPO, pull.number, "x")
    assert failure.value.response.status_code == 404
    got = gh.rest.pulls.get(OWNER, REPO, pull.number).parsed_data
    assert [label.name for label in got.labels] == ["quantum"]


def test_merge_pinned_to_sha_advances_main(gh, double):
    pull = _open(gh, double, "feature", {"feature.txt": "yes\n"})
    before = _git(double, "rev-parse", "main")
    result = gh.rest.pulls.merge(
        OWNER, REPO, pull.number, sha=pull.head.sha, merge_method="merge"
    ).parsed_data
    assert result.merged
    assert _git(double, "rev-parse", "main") == result.sha
    assert _git(double, "rev-parse", f"{result.sha}^1", f"{result.sha}^2").split() == [
        before,
        pull.head.sha,
    ]
    assert _git(double, "show", f"{result.sha}:feature.txt") == "yes"
    merged = gh.rest.pulls.get(OWNER, REPO, pull.number).json()
    assert (merged["state"], merged["merged"], merged["merge_commit_sha"]) == (
        "closed",
        True,
        result.sha,
    )
    with pytest.raises(RequestFailed) as again:
        gh.rest.pulls.merge(OWNER, REPO, pull.number)
    assert again.value.response.status_code == 405


def test_merge_with_stale_sha_is_409_and_main_stays(gh, double):
    pull = _open(gh, double, "moving", {"m.txt": "1\n"})
    double.push(OWNER, REPO, "moving", {"m.txt": "2\n"}, "head moves after the build")
    main = _git(double, "rev-parse", "main")
    with pytest.raises(RequestFailed) as failure:
        gh.rest.pulls.merge(OWNER, REPO, pull.number, sha=pull.head.sha)
    assert failure.value.response.status_code == 409
    assert "Head branch was modified" in failure.value.response.json()["message"]
    assert _git(double, "rev-parse", "main") == main
    assert gh.rest.pulls.get(OWNER, REPO, pull.number).parsed_data.state == "open"


def test_conflicting_pull_is_not_mergeable_405(gh, double):
    first = _open(gh, double, "one", {"same.txt": "one\n"})
    second = _open(gh, double, "two", {"same.txt": "two\n"})
    gh.rest.pulls.merge(OWNER, REPO, first.number, sha=first.head.sha)
    assert gh.rest.pulls.get(OWNER, REPO, second.number).parsed_data.mergeable is False
    with pytest.raises(RequestFailed) as failure:
        gh.rest.pulls.merge(OWNER, REPO, second.number, sha=second.head.sha)
    assert failure.value.response.status_code == 405


@pytest.mark.parametrize(("method", "parents"), [("squash", 1), ("rebase", 1)])
def test_squash_and_rebase(gh, double, method, parents):
    double.push(OWNER, REPO, "main", {"base.txt": "moved\n"}, "main moves")
    pull = _open(gh, double, "multi", {"a.txt": "a\n"})
    double.push(OWNER, REPO, "multi", {"b.txt": "b\n"}, "second commit")
    result = gh.rest.pulls.merge(OWNER, REPO, pull.number, merge_method=method).parsed_data
    main = _git(double, "rev-parse", "main")
    assert main == result.sha
    assert len(_git(double, "rev-list", "--parents", "-n1", main).split()) == parents + 1
    assert _git(double, "ls-tree", "--name-only", main).split() == [
        "README.md",
        "a.txt",
        "b.txt",
        "base.txt",
    ]


def test_update_branch_merges_base_into_head(gh, double):
    pull = _open(gh, double, "behind", {"x.txt": "x\n"})
    main = double.push(OWNER, REPO, "main", {"y.txt": "y\n"}, "main moves")
    answer = gh.rest.pulls.update_branch(OWNER, REPO, pull.number, expected_head_sha=pull.head.sha)
    assert answer.status_code == 202
    head = double.rev_parse(OWNER, REPO, "behind")
    assert head is not None
    assert _git(double, "merge-base", "--is-ancestor", main, head) == ""
    with pytest.raises(RequestFailed) as stale:
        gh.rest.pulls.update_branch(OWNER, REPO, pull.number, expected_head_sha=pull.head.sha)
    assert stale.value.response.status_code == 422


def test_a_push_straight_into_the_bare_repo_still_moves_the_head(gh, double, tmp_path):
    pull = _open(gh, double, "direct", {"d.txt": "1\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(double.repo_path(OWNER, REPO)), str(clone)], check=True
    )
    env_git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*env_git, "checkout", "-q", "direct"], cwd=clone, check=True)
    (clone / "d.txt").write_text("2\n")
    subprocess.run([*env_git, "commit", "-qam", "direct push"], cwd=clone, check=True)
    subprocess.run(["git", "push", "-q", "origin", "direct"], cwd=clone, check=True)
    moved = gh.rest.pulls.get(OWNER, REPO, pull.number).parsed_data
    assert moved.head.sha == _git(double, "rev-parse", "direct") != pull.head.sha
    with pytest.raises(RequestFailed) as failure:
        gh.rest.pulls.merge(OWNER, REPO, pull.number, sha=pull.head.sha)
    assert failure.value.response.status_code == 409
    assert [(d.event, d.action) for d in double.webhooks.pending][-1] == (
        "pull_request",
        "synchronize",
    )


def test_draft_pull_is_not_mergeable(gh, double):
    double.push(OWNER, REPO, "draft", {"d": "d\n"}, "draft")
    pull = gh.rest.pulls.create(
        OWNER, REPO, title="d", head="draft", base="main", draft=True
    ).parsed_data
    assert pull.draft is True
    with pytest.raises(RequestFailed) as failure:
        gh.rest.pulls.merge(OWNER, REPO, pull.number, sha=pull.head.sha)
    assert failure.value.response.status_code == 405
