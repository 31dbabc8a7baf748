"""Coverage precision end to end: record with a real pytest run, change, select, run.

Every repository here is a temp git repo with real commits; ``conftest.py`` imports the
package, so the import graph alone selects every test file for any change to it. Recording
runs in a subprocess (it starts coverage.py's tracer); selections run the way users run them.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys

import pytest

from velocity.depci.coverage_store import store_path

from .conftest import commit_all
from .conftest import git
from .test_frontend_plugin import PLUGIN

pytest_plugins = ["pytester"]

for _name in ("plan", "precision", "precision_plan", "coverage_store", "recorder"):
    importlib.import_module(f"velocity.depci.{_name}")

M = """\
LIMIT = 3


def f(x):
    return x + 1


def g(x):
    return x * 2


def h(x):
    return x - 1
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """pkg/m.py with f, g, h; test_f.py calls f (two tests), test_g.py calls g and h."""
    pytester.makepyfile(
        **{
            "pkg/__init__.py": "",
            "pkg/m.py": M,
            "conftest.py": "import pkg.m  # noqa: F401\n",
            "test_f.py": (
                "from pkg.m import f\n\n"
                "def test_f1():\n    assert f(1) == 2\n\n"
                "def test_f2():\n    assert f(2) == 3\n"
            ),
            "test_g.py": (
                "from pkg.m import g, h\n\n"
                "def test_g():\n    assert g(1) == 2\n\n"
                "def test_h():\n    assert h(1) == 0\n"
            ),
        }
    )
    pytester.path.joinpath(".gitignore").write_text(
        ".velocity/\n__pycache__/\n.pytest_cache/\nrunpytest-*\nstdout\nstderr\n"
    )
    git(pytester.path, "init", "-q", "-b", "main")
    commit_all(pytester.path, "init")
    return pytester


def record(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*PLUGIN, "--affected-record", "-p", "no:cacheprovider")
    assert result.ret in (0, 1), result.stdout.str() + result.stderr.str()
    assert store_path(pytester.path).exists()


def edit(pytester: pytest.Pytester, rel: str, old: str, new: str) -> None:
    path = pytester.path / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def affected(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "--affected-only", "-p", "no:cacheprovider", *args)


def test_a_body_change_runs_only_the_tests_that_executed_it(project: pytest.Pytester) -> None:
    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project, "-v")
    result.stdout.fnmatch_lines(
        [
            "velocity: 1 of 2 test files affected by 1 changed files (base main)",
            "velocity: coverage records (recorded * at *) narrowed 2 test files to 1;"
            " 1 recorded tests in them deselected",
        ]
    )
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*test_g.py::test_g FAILED*"])
    result.stdout.no_fnmatch_line("*test_f.py*")


def test_static_precision_ignores_the_records(project: pytest.Pytester) -> None:
    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project, "--affected-precision=static")
    result.stdout.fnmatch_lines(["velocity: 2 of 2 test files affected by 1 changed files*"])
    result.stdout.no_fnmatch_line("*coverage records*")
    result.assert_outcomes(passed=3, failed=1)


def test_a_mutation_selects_the_test_that_executed_it_not_its_neighbour(
    project: pytest.Pytester,
) -> None:
    record(project)
    edit(project, "pkg/m.py", "return x - 1", "return None")
    result = affected(project, "-v", "--affected-explain")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "velocity: precision for pkg/m.py: coverage: 1 recorded tests executed*",
            "velocity: test_f.py: skipped: no recorded test of it executed a changed function*",
            "velocity: test_g.py: selected (coverage): tests test_h executed a changed function",
            "*test_g.py::test_h FAILED*",
        ]
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("LIMIT = 3", "LIMIT = 4"),  # a constant
        ("\n\ndef h(x):\n    return x - 1", ""),  # a deleted function
        ("def g(x):", "def g(x, y=0):"),  # a signature
    ],
)
def test_a_module_level_change_falls_back_to_the_graph(
    project: pytest.Pytester, old: str, new: str
) -> None:
    record(project)
    edit(project, "pkg/m.py", old, new)
    result = affected(project, "--affected-explain")
    result.stdout.fnmatch_lines(
        [
            "velocity: 2 of 2 test files affected by 1 changed files*",
            "velocity: coverage records could not narrow this change: static graph",
            "velocity: precision for pkg/m.py: static graph: module-level code differs*",
        ]
    )
    assert result.parseoutcomes().get("deselected") is None


def test_a_renamed_module_falls_back_to_the_graph(project: pytest.Pytester) -> None:
    record(project)
    git(project.path, "mv", "pkg/m.py", "pkg/n.py")
    edit(project, "conftest.py", "pkg.m", "pkg.n")
    for test in ("test_f.py", "test_g.py"):
        edit(project, test, "pkg.m", "pkg.n")
    result = affected(project)
    result.stdout.fnmatch_lines(["velocity: 2 of 2 test files affected by *"])
    result.assert_outcomes(passed=4)


def test_a_record_older_than_the_base_still_selects_what_changed_since(
    project: pytest.Pytester,
) -> None:
    record(project)
    # Committed to main after recording: the base itself differs from the record.
    edit(project, "pkg/m.py", "return x + 1", "return 1 + x")
    commit_all(project.path, "f rewritten")
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project, "-v")
    # f changed since the record (test_f*) and g changed since the base (test_g).
    result.assert_outcomes(passed=2, failed=1, deselected=1)
    result.stdout.no_fnmatch_line("*test_h*")


def test_a_stale_record_with_module_level_drift_falls_back(project: pytest.Pytester) -> None:
    record(project)
    edit(project, "pkg/m.py", "LIMIT = 3", "LIMIT = 5")
    commit_all(project.path, "limit")
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project)
    result.stdout.fnmatch_lines(["velocity: 2 of 2 test files affected by 1 changed files*"])
    result.assert_outcomes(passed=3, failed=1)


def test_a_content_change_after_recording_is_seen(project: pytest.Pytester) -> None:
    # Not committed, not in the record: the work tree is compared with the record's content.
    record(project)
    edit(project, "pkg/m.py", "return x + 1", "return x + 2")
    result = affected(project)
    result.assert_outcomes(failed=2)


def test_tests_the_record_does_not_know_always_run(project: pytest.Pytester) -> None:
    record(project)
    project.makepyfile(test_new="from pkg.m import h\n\ndef test_new():\n    assert h(2) == 1\n")
    commit_all(project.path, "a new test file, after recording")
    edit(project, "test_g.py", "def test_h", "def test_g2():\n    assert g(0) == 0\n\ndef test_h")
    edit(project, "pkg/m.py", "return x + 1", "return x + 2")
    result = affected(project, "-v")
    # test_f*: executed f; test_g.py changed (whole file); test_new.py: unrecorded.
    result.stdout.fnmatch_lines(["velocity: 3 of 3 test files affected by 2 changed files*"])
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines(["*test_new.py::test_new PASSED*"])


def test_a_test_that_failed_when_recorded_is_never_narrowed_away(
    project: pytest.Pytester,
) -> None:
    edit(project, "test_g.py", "assert g(1) == 2", "assert g(1) == 5")
    commit_all(project.path, "a failing test")
    record(project)
    edit(project, "pkg/m.py", "return x - 1", "return x - 2")
    result = affected(project, "-v")
    result.stdout.fnmatch_lines(["*test_g.py::test_g FAILED*", "*test_g.py::test_h FAILED*"])


@pytest.mark.parametrize(
    ("setup", "old", "new"),
    [
        # run while a module is imported: every importer depends on its result
        ("TABLE = None\n", "TABLE = None", "TABLE = g(1)"),
        # called from a session-scoped fixture: its result is shared by many tests
        ("", "", ""),
    ],
)
def test_functions_that_run_outside_one_test_fall_back(
    project: pytest.Pytester, setup: str, old: str, new: str
) -> None:
    if setup:
        edit(project, "pkg/m.py", "LIMIT = 3\n", "LIMIT = 3\n" + setup)
        edit(project, "pkg/m.py", old, new)
        (project.path / "pkg/m.py").write_text(
            (project.path / "pkg/m.py").read_text().replace("TABLE = g(1)\n", "")
            + "\nTABLE = g(1)\n"
        )
    else:
        project.makeconftest(
            "import pytest\nfrom pkg.m import g\n\n"
            "@pytest.fixture(scope='session', autouse=True)\ndef shared():\n    return g(2)\n"
        )
    commit_all(project.path, "shared use of g")
    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project, "--affected-explain")
    result.stdout.fnmatch_lines(
        ["velocity: precision for pkg/m.py: static graph: g() changed and runs outside tests*"]
    )
    result.stdout.fnmatch_lines(["velocity: 2 of 2 test files affected by 1 changed files*"])


def test_a_module_imported_inside_a_test_counts_as_shared(project: pytest.Pytester) -> None:
    project.makepyfile(**{"pkg/lazy.py": "from pkg.m import h\n\nVALUE = h(5)\n"})
    edit(project, "test_f.py", "def test_f2():", "def test_f2():\n    import pkg.lazy  # noqa\n")
    commit_all(project.path, "a lazy import")
    record(project)
    edit(project, "pkg/m.py", "return x - 1", "return x - 2")
    result = affected(project, "--affected-explain")
    # h ran when pkg.lazy was imported inside test_f2: any later importer would get its value.
    result.stdout.fnmatch_lines(["*static graph: h() changed and runs outside tests*"])


def test_a_test_that_starts_a_process_is_never_narrowed_away(project: pytest.Pytester) -> None:
    edit(
        project,
        "test_f.py",
        "def test_f2():",
        "def test_spawn():\n    import subprocess, sys\n"
        "    subprocess.run([sys.executable, '-c', 'pass'], check=True)\n\ndef test_f2():",
    )
    commit_all(project.path, "a test that starts a process")
    record(project)
    edit(project, "pkg/m.py", "return x - 1", "return x - 2")
    result = affected(project, "-v")
    result.stdout.fnmatch_lines(["*test_f.py::test_spawn PASSED*", "*test_g.py::test_h FAILED*"])
    result.assert_outcomes(passed=1, failed=1, deselected=3)


def test_a_corrupt_store_is_removed_and_the_graph_used(project: pytest.Pytester) -> None:
    record(project)
    store_path(project.path).write_bytes(b"this is not a database" * 100)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project)
    result.stdout.fnmatch_lines(
        [
            "velocity: 2 of 2 test files affected by 1 changed files*",
            "velocity: coverage records: coverage.sqlite is unreadable (*); removed it;"
            " using the static graph",
        ]
    )
    result.assert_outcomes(passed=3, failed=1)
    assert not store_path(project.path).exists()
    record(project)  # rebuilt by the next recording run, of the work tree as it is
    edit(project, "pkg/m.py", "return x * 3", "return x * 2")
    edit(project, "pkg/m.py", "return x - 1", "return x - 5")
    # g differs from the record (test_g), h from the record and the base (test_h).
    result = affected(project, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_g.py::test_g PASSED*", "*test_g.py::test_h FAILED*"])
    result.stdout.no_fnmatch_line("*test_f.py*")


def test_a_store_missing_a_table_counts_as_corrupt(project: pytest.Pytester) -> None:
    record(project)
    conn = sqlite3.connect(store_path(project.path))
    conn.execute("DROP TABLE hits")
    conn.commit()
    conn.close()
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project)
    result.stdout.fnmatch_lines(["velocity: coverage records: *unreadable*"])
    result.assert_outcomes(passed=3, failed=1)


def test_coverage_precision_without_records_is_a_usage_error(project: pytest.Pytester) -> None:
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project, "--affected-precision=coverage")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no coverage records: run `pytest --affected-record` first*"])


def test_the_record_run_reports_like_a_normal_run(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*PLUGIN, "--affected-record", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    conn = sqlite3.connect(store_path(project.path))
    hits = conn.execute(
        "SELECT t.key, f.name FROM hits h JOIN tests t ON t.id = h.test_id"
        " JOIN functions f ON f.id = h.function_id ORDER BY 1, 2"
    ).fetchall()
    conn.close()
    assert hits == [
        ("test_f.py::test_f1", "f"),
        ("test_f.py::test_f2", "f"),
        ("test_g.py::test_g", "g"),
        ("test_g.py::test_h", "h"),
    ]


def test_xdist_workers_deselect_what_the_records_rule_out(project: pytest.Pytester) -> None:
    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = project.runpytest_subprocess(*PLUGIN, "--affected-only", "-n", "2")
    result.stdout.fnmatch_lines(["velocity: coverage records * narrowed 2 test files to 1;*"])
    result.assert_outcomes(failed=1)


def test_recording_runs_in_one_process(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(*PLUGIN, "--affected-record", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--affected-record runs in one process: drop -n/--dist*"])
    assert not store_path(project.path).exists()


def test_dep_ci_run_hands_pytest_the_narrowed_files(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from velocity.depci.cli import main

    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    monkeypatch.chdir(project.path)
    code = main(["run", "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    out, err = capfd.readouterr()
    assert code == 1
    # Whole files: test_g.py runs both its tests; test_f.py does not run.
    assert "1 failed, 1 passed" in out
    assert "velocity: coverage records (recorded" in err
    assert err.rstrip().splitlines()[-1].endswith("test_g.py")


def test_a_process_started_outside_any_test_voids_the_records(project: pytest.Pytester) -> None:
    # It may run the code under test where no test's record can see it (a server, say).
    project.makeconftest(
        "import subprocess, sys\nimport pkg.m  # noqa: F401\n\n"
        "def pytest_configure(config):\n"
        "    subprocess.run([sys.executable, '-c', 'pass'], check=True)\n"
    )
    commit_all(project.path, "a conftest that starts a process")
    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = affected(project, "--affected-explain")
    result.stdout.fnmatch_lines(
        ["*precision for pkg/m.py: static graph: the recording run started a process*"]
    )
    result.assert_outcomes(passed=3, failed=1)


def test_a_record_of_part_of_the_suite_vouches_for_that_part_only(
    project: pytest.Pytester,
) -> None:
    record(project)
    edit(project, "pkg/m.py", "return x * 2", "return x * 3")
    result = project.runpytest_subprocess(*PLUGIN, "--affected-only", "--affected-record")
    result.assert_outcomes(failed=1, deselected=1)
    edit(project, "pkg/m.py", "return x * 3", "return x * 2")
    edit(project, "pkg/m.py", "return x + 1", "return x + 5")
    # The second record knows test_g only (recorded with g as x * 3): test_g runs since g
    # differs from it; test_h and test_f.py are unrecorded now, so they run too.
    result = affected(project, "-v")
    result.stdout.fnmatch_lines(["velocity: coverage records * narrowed 2 test files to 2;*"])
    result.assert_outcomes(passed=2, failed=2)


def test_make_plan_rejects_an_unknown_precision(project: pytest.Pytester) -> None:
    from velocity.core.errors import VelocityError
    from velocity.depci.plan import make_plan

    with pytest.raises(VelocityError, match="unknown precision 'fast'"):
        make_plan(project.path, precision="fast")
