"""The pytest plugin, run the way users run it: pytester on temp git repos with real commits."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pytest

from .conftest import commit_all
from .conftest import git

pytest_plugins = ["pytester"]


def _plugin_names() -> tuple[tuple[str, ...], str]:
    # Installed with its pytest11 entry point, the plugin loads itself: -p would load it twice.
    if entry_points(group="pytest11", name="velocity-depci"):
        return (), "velocity-depci"
    return ("-p", "velocity.depci.pytest_plugin"), "velocity.depci.pytest_plugin"


PLUGIN, PLUGIN_NAME = _plugin_names()

# In-process pytester runs drop the modules a run imported; tree-sitter's bindings don't
# survive being imported twice, so the engine is imported here, once, for every run.
for _name in ("plan", "parse", "parse_python", "parse_python_quick", "parse_js", "recorder"):
    importlib.import_module(f"velocity.depci.{_name}")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """Two modules, two test files each importing one; test_b.py leaves a mark when imported."""
    pytester.makepyfile(
        **{
            "pkg/__init__.py": "",
            "pkg/a.py": "def f():\n    return 1\n",
            "pkg/b.py": "def g():\n    return 2\n",
            "test_a.py": "from pkg.a import f\n\ndef test_a():\n    assert f() == 1\n",
            "test_b.py": (
                "import pathlib\nfrom pkg.b import g\npathlib.Path('imported_b').touch()\n\n"
                "def test_b():\n    assert g() == 2\n"
            ),
        }
    )
    pytester.path.joinpath(".gitignore").write_text(
        "imported_b\n.velocity/\n__pycache__/\nrunpytest-*\nstdout\nstderr\n"
    )
    git(pytester.path, "init", "-q", "-b", "main")
    commit_all(pytester.path, "init")
    return pytester


def edit(pytester: pytest.Pytester, rel: str, text: str) -> None:
    pytester.path.joinpath(rel).write_text(text)


def test_nothing_changed_runs_nothing_and_exits_0(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--affected-only")
    result.stdout.fnmatch_lines(
        [
            "velocity: 0 of 2 test files affected by 0 changed files (base main)",
            "velocity: no test file is affected by the 0 changed files; nothing to run",
        ]
    )
    assert result.ret == 0
    assert not project.path.joinpath("imported_b").exists()


def test_working_tree_change_selects_its_tests_only(project: pytest.Pytester) -> None:
    edit(project, "pkg/a.py", "def f():\n    return 1  # edited\n")
    result = project.runpytest(*PLUGIN, "--affected-only")
    result.stdout.fnmatch_lines(["velocity: 1 of 2 test files affected by 1 changed files*"])
    result.assert_outcomes(passed=1)
    assert not project.path.joinpath("imported_b").exists(), "unaffected test file was imported"


def test_committed_change_on_a_branch_against_base(project: pytest.Pytester) -> None:
    git(project.path, "checkout", "-q", "-b", "feature")
    edit(project, "pkg/b.py", "def g():\n    return 2  # edited\n")
    commit_all(project.path, "edit b")
    result = project.runpytest(*PLUGIN, "--affected-only", "--affected-base", "main", "-v")
    result.stdout.fnmatch_lines(["*(base main)", "test_b.py::test_b PASSED*"])
    result.stdout.no_fnmatch_line("*test_a.py*")
    result.assert_outcomes(passed=1)


def test_failure_in_affected_test_fails_the_run(project: pytest.Pytester) -> None:
    edit(project, "pkg/a.py", "def f():\n    return 0\n")
    result = project.runpytest(*PLUGIN, "--affected-only")
    result.assert_outcomes(failed=1)
    assert result.ret == 1


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        ("pyproject.toml", "*pyproject.toml: matches run_all_on*"),
        ("data.bin", "*data.bin: no rule places this file*"),
        ("pkg/a.py", "*pkg/a.py: could not be parsed*"),
    ],
)
def test_run_everything_when_the_engine_says_so(
    project: pytest.Pytester, rel: str, reason: str
) -> None:
    edit(project, rel, "def broken(:\n" if rel.endswith(".py") else "[project]\nname = 'x'\n")
    result = project.runpytest(*PLUGIN, "--affected-only", "--continue-on-collection-errors")
    result.stdout.fnmatch_lines(
        [
            "velocity: 2 of 2 test files affected by 1 changed files*",
            f"velocity: running every*{reason}",
        ]
    )
    assert project.path.joinpath("imported_b").exists()


def test_explain_says_why_each_test_file_runs(project: pytest.Pytester) -> None:
    edit(project, "pkg/a.py", "def f():\n    return 1  # edited\n")
    result = project.runpytest(*PLUGIN, "--affected-explain")
    result.stdout.fnmatch_lines(
        [
            "velocity: changed pkg/a.py: graph",
            "velocity: test_a.py: selected: test_a.py -> pkg/a.py",
            "velocity: test_b.py: skipped: reaches none of the 1 changed files",
        ]
    )
    result.assert_outcomes(passed=1)


def test_k_and_m_still_filter(project: pytest.Pytester) -> None:
    edit(project, "pkg/a.py", "def f():\n    return 1  # edited\n")
    edit(project, "pkg/b.py", "def g():\n    return 2  # edited\n")
    result = project.runpytest(*PLUGIN, "--affected-only", "-k", "test_b")
    result.assert_outcomes(passed=1, deselected=1)
    project.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    edit(project, "test_a.py", "import pytest\n\n@pytest.mark.slow\ndef test_a():\n    pass\n")
    result = project.runpytest(*PLUGIN, "--affected-only", "-m", "not slow")
    result.stdout.fnmatch_lines(["*running every*tox.ini*"])
    result.assert_outcomes(passed=1, deselected=1)


def test_p_no_still_works(project: pytest.Pytester) -> None:
    edit(project, "pkg/a.py", "def f():\n    return 1  # edited\n")
    result = project.runpytest(*PLUGIN, "-p", "no:cacheprovider", "--affected-only")
    result.assert_outcomes(passed=1)
    assert not project.path.joinpath(".pytest_cache").exists()


def test_plugin_can_be_disabled(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", f"no:{PLUGIN_NAME}")
    result.assert_outcomes(passed=2)


def test_xdist_workers_collect_the_same_selection(project: pytest.Pytester) -> None:
    edit(project, "pkg/a.py", "def f():\n    return 1  # edited\n")
    result = project.runpytest_subprocess(*PLUGIN, "--affected-only", "-n", "2")
    result.stdout.fnmatch_lines(["velocity: 1 of 2 test files affected*", "*1 passed*"])
    assert not project.path.joinpath("imported_b").exists()


def test_xdist_with_nothing_affected_exits_0(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*PLUGIN, "--affected-only", "-n", "2")
    assert result.ret == 0


def test_unknown_base_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--affected-only", "--affected-base", "nope")
    result.stderr.fnmatch_lines(["*--affected-only: unknown git revision: 'nope'*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_test_file_named_on_the_command_line_always_runs(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--affected-only", "test_b.py")
    result.stdout.fnmatch_lines(["velocity: 0 of 2 test files affected*"])
    result.assert_outcomes(passed=1)
