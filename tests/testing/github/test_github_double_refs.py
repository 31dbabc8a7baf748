from __future__ import annotations

import pytest
from githubkit.exception import RequestFailed

OWNER, REPO = "velocity", "demo"


def test_ref_create_update_delete(gh, double):
    main = double.rev_parse(OWNER, REPO, "main")
    ref = gh.rest.git.create_ref(OWNER, REPO, ref="refs/heads/quantum/spec/1", sha=main)
    assert ref.status_code == 201
    assert double.rev_parse(OWNER, REPO, "quantum/spec/1") == main
    got = gh.rest.git.get_ref(OWNER, REPO, "heads/quantum/spec/1").parsed_data
    assert (got.ref, got.object_.sha) == ("refs/heads/quantum/spec/1", main)

    ahead = double.push(OWNER, REPO, "other", {"o.txt": "o\n"}, "other work")
    gh.rest.git.update_ref(OWNER, REPO, "heads/quantum/spec/1", sha=ahead)
    assert double.rev_parse(OWNER, REPO, "quantum/spec/1") == ahead

    with pytest.raises(RequestFailed) as not_ff:
        gh.rest.git.update_ref(OWNER, REPO, "heads/quantum/spec/1", sha=main)
    assert not_ff.value.response.status_code == 422
    gh.rest.git.update_ref(OWNER, REPO, "heads/quantum/spec/1", sha=main, force=True)
    assert double.rev_parse(OWNER, REPO, "quantum/spec/1") == main

    assert gh.rest.git.delete_ref(OWNER, REPO, "heads/quantum/spec/1").status_code == 204
    assert double.rev_parse(OWNER, REPO, "quantum/spec/1") is None
    with pytest.raises(RequestFailed) as gone:
        gh.rest.git.get_ref(OWNER, REPO, "heads/quantum/spec/1")
    assert gone.value.response.status_code == 404
    with pytest.raises(RequestFailed) as twice:
        gh.rest.git.delete_ref(OWNER, REPO, "heads/quantum/spec/1")
    assert twice.value.response.status_code == 422


def test_existing_ref_cannot_be_created(gh, double):
    main = double.rev_parse(OWNER, REPO, "main")
    with pytest.raises(RequestFailed) as failure:
        gh.rest.git.create_ref(OWNER, REPO, ref="refs/heads/main", sha=main)
    assert failure.value.response.status_code == 422


def test_merges_endpoint(gh, double):
    head = double.push(OWNER, REPO, "topic", {"t.txt": "t\n"}, "topic")
    spec = gh.rest.git.create_ref(
        OWNER, REPO, ref="refs/heads/quantum/spec/2", sha=double.rev_parse(OWNER, REPO, "main")
    )
    assert spec.status_code == 201
    merged = gh.rest.repos.merge(
        OWNER, REPO, base="quantum/spec/2", head="topic", commit_message="spec: base+topic"
    )
    assert merged.status_code == 201
    sha = merged.parsed_data.sha
    assert double.rev_parse(OWNER, REPO, "quantum/spec/2") == sha
    assert [p.sha for p in merged.parsed_data.parents][1] == head
    again = gh.rest.repos.merge(OWNER, REPO, base="quantum/spec/2", head="topic")
    assert again.status_code == 204


def test_merge_conflict_is_409(gh, double):
    double.push(OWNER, REPO, "left", {"c.txt": "left\n"}, "left")
    double.push(OWNER, REPO, "right", {"c.txt": "right\n"}, "right")
    with pytest.raises(RequestFailed) as failure:
        gh.rest.repos.merge(OWNER, REPO, base="left", head="right")
    assert failure.value.response.status_code == 409


def test_git_commit_objects(gh, double):
    main = double.rev_parse(OWNER, REPO, "main")
    commit = gh.rest.git.get_commit(OWNER, REPO, main).parsed_data
    created = gh.rest.git.create_commit(
        OWNER, REPO, message="empty on top", tree=commit.tree.sha, parents=[main]
    ).parsed_data
    assert created.parents[0].sha == main
    assert double.rev_parse(OWNER, REPO, created.sha) == created.sha


def test_branch_commit_and_compare(gh, double):
    head = double.push(OWNER, REPO, "cmp", {"new.txt": "1\n2\n"}, "two lines")
    branch = gh.rest.repos.get_branch(OWNER, REPO, "cmp").parsed_data
    assert (branch.name, branch.commit.sha, branch.protected) == ("cmp", head, False)
    commit = gh.rest.repos.get_commit(OWNER, REPO, "cmp").parsed_data
    assert [(f.filename, f.additions) for f in commit.files] == [("new.txt", 2)]
    compared = gh.rest.repos.compare_commits(OWNER, REPO, "main...cmp").parsed_data
    assert (compared.status, compared.ahead_by, compared.behind_by) == ("ahead", 1, 0)
    assert [c.sha for c in compared.commits] == [head]


def test_default_branch_cannot_be_deleted(gh, double):
    with pytest.raises(RequestFailed) as failure:
        gh.rest.git.delete_ref(OWNER, REPO, "heads/main")
    assert failure.value.response.status_code == 422
    assert double.rev_parse(OWNER, REPO, "main") is not None
