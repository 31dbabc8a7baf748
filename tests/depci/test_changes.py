from __future__ import annotations

from pathlib import Path

import pytest

from velocity.core.errors import VelocityError
from velocity.depci.changes import changed_files
from velocity.depci.changes import default_base
from velocity.depci.changes import repo_root

from .conftest import commit_all
from .conftest import git
from .conftest import write_tree


def test_branch_staged_unstaged_untracked_and_renames(repo: Path) -> None:
    write_tree(repo, {"a.py": "1", "b.py": "2", "c.py": "3", "d.py": "4", ".gitignore": "*.log\n"})
    commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write_tree(repo, {"a.py": "1 changed"})
    commit_all(repo, "on branch")
    git(repo, "mv", "b.py", "b2.py")
    write_tree(repo, {"c.py": "3 unstaged", "new.py": "", "debug.log": "ignored"})
    (repo / "d.py").unlink()
    write_tree(repo, {"staged.py": ""})
    git(repo, "add", "staged.py")
    assert changed_files(repo, "main") == [
        "a.py",
        "b.py",
        "b2.py",
        "c.py",
        "d.py",
        "new.py",
        "staged.py",
    ]


def test_merge_base_ignores_commits_on_the_base_branch(repo: Path) -> None:
    write_tree(repo, {"a.py": "1", "b.py": "2"})
    commit_all(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    write_tree(repo, {"a.py": "feature"})
    commit_all(repo)
    git(repo, "checkout", "-q", "main")
    write_tree(repo, {"b.py": "main moved on"})
    commit_all(repo)
    git(repo, "checkout", "-q", "feature")
    assert changed_files(repo, "main") == ["a.py"]


def test_default_base_prefers_main_then_head(repo: Path) -> None:
    assert default_base(repo) == "main"
    git(repo, "branch", "-m", "main", "trunk")
    assert default_base(repo) == "HEAD"
    write_tree(repo, {"x.py": ""})
    assert changed_files(repo) == ["x.py"]


def test_bad_ref_is_a_velocity_error(repo: Path) -> None:
    with pytest.raises(VelocityError, match="unknown git revision: 'nope'"):
        changed_files(repo, "nope")


def test_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write_tree(tmp_path, {"a.py": "", "sub/b.py": ""})
    git(tmp_path, "add", "a.py")
    assert changed_files(tmp_path) == ["a.py", "sub/b.py"]


def test_repo_root(repo: Path, tmp_path: Path) -> None:
    (repo / "sub").mkdir()
    assert repo_root(repo / "sub") == repo.resolve()
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(VelocityError, match="not a git repository"):
        repo_root(outside)
