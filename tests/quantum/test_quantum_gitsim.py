from __future__ import annotations

import pytest

from velocity.quantum.gitsim import Conflict
from velocity.quantum.gitsim import GitError
from velocity.quantum.gitsim import GitMerger
from velocity.quantum.gitsim import SpecChain


def test_chain_merges_each_pr_onto_the_previous_speculative_commit(repo):
    h1 = repo.pr(1, {"one.py": "1\n"})
    h2 = repo.pr(2, {"two.py": "2\n"})
    h3 = repo.pr(3, {"app.py": "x = 3\n"})
    chain = GitMerger(repo.path).build(repo.base, [(1, h1), (2, h2), (3, h3)])
    assert isinstance(chain, SpecChain)
    s1, s2, s3 = chain.commits
    assert chain.tip == s3
    assert repo.git("rev-list", "--parents", "-n1", s1).split() == [s1, repo.base, h1]
    assert repo.git("rev-list", "--parents", "-n1", s2).split() == [s2, s1, h2]
    assert repo.git("rev-list", "--parents", "-n1", s3).split() == [s3, s2, h3]
    assert repo.show(s3, "one.py") == "1"
    assert repo.show(s3, "two.py") == "2"
    assert repo.show(s3, "app.py") == "x = 3"
    assert "two.py" not in repo.git("ls-tree", "--name-only", s1)
    assert "Merge #3" in repo.git("log", "-1", "--format=%s", s3)


def test_chains_are_reproducible_so_a_landed_prefix_fast_forwards(repo):
    h1 = repo.pr(1, {"one.py": "1\n"})
    h2 = repo.pr(2, {"two.py": "2\n"})
    first = GitMerger(repo.path).build(repo.base, [(1, h1)])
    again = GitMerger(repo.path).build(repo.base, [(1, h1), (2, h2)])
    assert isinstance(first, SpecChain)
    assert isinstance(again, SpecChain)
    assert again.commits[0] == first.tip
    repo.git("merge-base", "--is-ancestor", first.tip, again.tip)  # raises if not


def test_conflicts_name_the_pr_and_files_before_anything_is_built(repo):
    h1 = repo.pr(1, {"app.py": "x = 10\n", "README": "one\n"})
    h2 = repo.pr(2, {"two.py": "2\n"})
    h3 = repo.pr(3, {"app.py": "x = 30\n", "README": "three\n", "ok.py": "\n"})
    result = GitMerger(repo.path).build(repo.base, [(1, h1), (2, h2), (3, h3)])
    assert result == Conflict(3, ("README", "app.py"))
    assert result.reason == "merge conflict in README, app.py"
    alone = GitMerger(repo.path).build(repo.base, [(3, h3)])
    assert isinstance(alone, SpecChain)


def test_empty_chain_is_the_base_and_bad_shas_are_errors(repo):
    merger = GitMerger(repo.path)
    assert merger.build(repo.base, []) == SpecChain(repo.base, ())
    assert merger.build(repo.base, []).tip == repo.base
    with pytest.raises(GitError, match="merge-tree"):
        merger.build(repo.base, [(1, "0" * 40)])
