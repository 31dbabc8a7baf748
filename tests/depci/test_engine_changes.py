from __future__ import annotations

from pathlib import Path

import pytest

from velocity.core.errors import VelocityError
from velocity.depci.changes import changed_files

from .conftest import commit_all
from .conftest import git
from .conftest import write_tree


def test_unrelated_histories_have_no_merge_base(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "other")
    write_tree(repo, {"x.py": ""})
    commit_all(repo)
    with pytest.raises(VelocityError, match="no merge-base between 'main' and HEAD"):
        changed_files(repo, "main")


def test_without_commits_any_base_means_everything_is_new(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write_tree(tmp_path, {"a.py": ""})
    assert changed_files(tmp_path, "origin/main") == ["a.py"]


def test_a_failing_listing_is_a_velocity_error(repo: Path) -> None:
    (repo / ".git/index").write_bytes(b"not an index")
    with pytest.raises(VelocityError, match="git diff failed"):
        changed_files(repo, "main")
