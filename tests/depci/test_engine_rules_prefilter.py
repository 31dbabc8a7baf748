from __future__ import annotations

import subprocess
import sys

import pathspec
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.depci.rules import DEFAULT_IGNORE
from velocity.depci.rules import DEFAULT_RUN_ALL_ON
from velocity.depci.rules import _may_match

GLOBS = st.text(alphabet="ab.*?/! \\]#", min_size=1, max_size=9)  # "[": re warns
PARTS = st.text(alphabet="ab.* ?", min_size=1, max_size=4)
PATHS = st.lists(PARTS, min_size=1, max_size=4).map("/".join)


@settings(max_examples=2000, deadline=None)
@given(GLOBS, PATHS)
def test_the_shortcut_never_says_no_to_a_match(glob: str, path: str) -> None:
    try:
        spec = pathspec.GitIgnoreSpec.from_lines([glob])
    except ValueError:  # an invalid glob: the shortcut must leave the error to pathspec
        assert _may_match(glob, path)
        return
    if spec.match_file(path):
        assert _may_match(glob, path)


def test_the_defaults_against_real_paths() -> None:
    paths = [
        "poetry.lock", "a/b/requirements-dev.txt", "requirements/base.txt", "web/tsconfig.app.json",
        "docs/index.md", "src/docs/x.py", "LICENSE.txt", "pkg/README.rst", "sympy/core/basic.py",
        "web/babel.config.js", "setup.py", "x/package.json", "pkg/.coveragerc", "a.md/b.py",
    ]  # fmt: skip
    for glob in (*DEFAULT_RUN_ALL_ON, *DEFAULT_IGNORE):
        spec = pathspec.GitIgnoreSpec.from_lines([glob])
        for path in paths:
            if spec.match_file(path):
                assert _may_match(glob, path), (glob, path)
    assert not any(_may_match(g, "sympy/core/basic.py") for g in DEFAULT_RUN_ALL_ON)


def test_a_code_change_under_default_rules_loads_no_pathspec() -> None:
    code = (
        "import sys\nfrom velocity.depci.rules import DefaultRules\nr = DefaultRules()\n"
        "assert r.run_all_match('src/pkg/mod.py') is None\nassert not r.ignored('src/pkg/mod.py')\n"
        "assert r.extra_tests('src/pkg/mod.py', []) is None\n"
        "assert 'pathspec' not in sys.modules\n"
        "assert r.run_all_match('web/tsconfig.json') == 'tsconfig*.json'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
