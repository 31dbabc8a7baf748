from __future__ import annotations

from pathlib import Path

import pytest

from velocity.depci.files import is_test_file
from velocity.depci.files import list_files
from velocity.depci.pyroots import detect_python_roots

from .conftest import Write
from .conftest import commit_all
from .conftest import write_tree


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/helpers.py", True), ("a/test_x.py", True), ("x_test.py", True),
        ("src/a.py", False), ("web/__tests__/a.js", True), ("a.spec.tsx", True),
        ("tests/conftest.py", False), ("tests/data.json", False), ("test/x.ts", True),
        ("a/b.test.mjs", True), ("pkg/tests/__init__.py", False), ("testing.py", False),
        ("src/contest.py", False), ("spec.ts", False),
    ],
)  # fmt: skip
def test_is_test_file(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected


def test_git_listing_honours_gitignore_and_skips_vendored_dirs(repo: Path) -> None:
    write_tree(repo, {
        ".gitignore": "build/\n*.log\n", "a.py": "", "build/x.py": "", "b.log": "",
        "node_modules/m/index.js": "", "new.py": "", "sub/c.ts": "",
    })  # fmt: skip
    commit_all(repo)
    write_tree(repo, {"untracked.py": ""})
    assert list_files(repo) == [".gitignore", "a.py", "new.py", "sub/c.ts", "untracked.py"]


def test_walk_outside_git_skips_caches(tree: Write) -> None:
    root = tree({"a.py": "", ".venv/lib/x.py": "", "pkg/__pycache__/a.pyc": "", "pkg/b.py": ""})
    assert list_files(root) == ["a.py", "pkg/b.py"]


def test_roots_from_hatch_and_poetry(tree: Write) -> None:
    root = tree({
        "pyproject.toml": (
            '[tool.hatch.build.targets.wheel]\npackages = ["lib/one"]\n'
            '[tool.poetry]\npackages = [{include = "two", from = "code"}]\n'
        ),
        "broken/pyproject.toml": "not [valid toml",
        "broken/mod.py": "",
    })  # fmt: skip
    files = ["pyproject.toml", "broken/pyproject.toml", "broken/mod.py"]
    assert detect_python_roots(root, files) == ["broken", "lib", "code", ""]
