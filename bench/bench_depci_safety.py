"""Safety and precision of test selection: mutation runs on real projects' sdists.

For flask and itsdangerous, every source module gets each fault (raise at the top of its first
function, return None from its last function, flip its first comparison), made as a minimal
text edit. The full suite runs to learn which tests fail; then, in the same run, each tool
selects tests for the change and must hold every failing test:

- velocity static: ``make_plan(precision="static")`` -- the import graph, whole test files;
- velocity coverage: ``make_plan(precision="coverage")`` after one ``pytest --affected-record``
  on the unmutated tree -- the graph narrowed test by test with the recorded coverage;
- pytest-testmon: ``pytest --testmon`` once, then ``--testmon --testmon-nocollect
  --collect-only`` per mutant;
- tach: ``pytest --tach-base main --collect-only`` with a tach.toml making every source
  module a tach module (its import-based test impact).

Figures: failing tests selected, median and mean share of the suite's tests run, and the
median wall time of one selection: ours in-process (``make_plan``), testmon's and tach's as
their ``pytest --collect-only`` command (compare with plain ``pytest --collect-only``). Targets from
issue #4: 100 % of failing tests selected by velocity, median share <= 35 % on flask.
Needs network access to PyPI.
"""

from __future__ import annotations

import ast
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_depci_plugin import PLUGIN
from bench_depci_plugin import PYTHON
from bench_depci_plugin import prepare

import velocity
from velocity.depci.plan import make_plan

PROJECTS = {"flask": ("asgiref", "python-dotenv"), "itsdangerous": ("freezegun",)}
TOOLS = ("pytest-testmon", "tach")
_FLIP = {ast.Eq: "!=", ast.NotEq: "==", ast.Lt: ">=", ast.GtE: "<", ast.Gt: "<=",
         ast.LtE: ">", ast.Is: "is not", ast.IsNot: "is", ast.In: "not in",
         ast.NotIn: "in"}  # fmt: skip
_COLLECTED = re.compile(r"^(\d+(/\d+)? tests? collected|no tests collected)", re.MULTILINE)
_OP = re.compile(r"==|!=|<=|>=|<|>|\bis\s+not\b|\bnot\s+in\b|\bis\b|\bin\b")
# Writes the failing tests (and files that failed to collect) of a run to $BENCH_FAILED.
_FAIL_PLUGIN = """
import json, os
failed = set()
def pytest_runtest_logreport(report):
    if report.failed:
        failed.add(report.nodeid)
def pytest_collectreport(report):
    if report.failed:
        failed.add(report.nodeid)
def pytest_sessionfinish(session):
    with open(os.environ["BENCH_FAILED"], "w") as fh:
        json.dump(sorted(failed), fh)
"""


def _offset(lines: list[str], line: int, col: int) -> int:
    # ast columns count UTF-8 bytes; str.splitlines would also split at form feeds.
    before = sum(len(x) + 1 for x in lines[: line - 1])
    return before + len(lines[line - 1].encode()[:col].decode("utf-8", "ignore"))


def _insert(source: str, func: ast.FunctionDef | ast.AsyncFunctionDef, stmt: str) -> str:
    lines = source.split("\n")
    first = func.body[0]
    text = lines[first.lineno - 1]
    head = text[: _offset(lines, first.lineno, first.col_offset) - _offset(lines, first.lineno, 0)]
    if head.strip():  # the body shares the def line: `def f(): return 1`
        at = _offset(lines, first.lineno, first.col_offset)
        return source[:at] + stmt + "; " + source[at:]
    at = _offset(lines, first.lineno, 0)
    return source[:at] + head + stmt + "\n" + source[at:]


def _flip(source: str, compare: ast.Compare) -> str | None:
    lines = source.split("\n")
    left, right = compare.left, compare.comparators[0]
    start = _offset(lines, left.end_lineno or left.lineno, left.end_col_offset or 0)
    end = _offset(lines, right.lineno, right.col_offset)
    match = _OP.search(source, start, end)
    if match is None:
        return None
    new = _FLIP[type(compare.ops[0])]
    return source[: match.start()] + new + source[match.end() :]


def mutate(source: str, kind: str) -> str | None:
    """*source* with one fault of *kind*, as a minimal text edit; None when it has no place.

    The fault is put where earlier versions of this benchmark put it (first function, last
    function, first comparison in ``ast.walk`` order); only the rest of the file is kept as
    it was, so tools that compare text see one edit, not a reformatted file.
    """
    tree = ast.parse(source)
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if kind == "raise" and funcs:
        out: str | None = _insert(source, funcs[0], "raise RuntimeError('mutant')")
    elif kind == "return-none" and funcs:
        out = _insert(source, funcs[-1], "return None")
    elif kind == "flip":
        compare = next((n for n in ast.walk(tree) if isinstance(n, ast.Compare)), None)
        out = _flip(source, compare) if compare is not None else None
    else:
        return None
    if out is None:
        return None
    ast.parse(out)  # a mutant must still be valid Python
    return out


class Tool:
    """One selector's results over every mutant of a project."""

    # A plain class: bench/run.py loads this file without registering it in sys.modules,
    # which dataclasses need.
    def __init__(self, name: str) -> None:
        self.name, self.note, self.caught = name, "", 0
        self.shares: list[float] = []
        self.seconds: list[float] = []
        self.missed: list[str] = []

    def add(self, chosen: set[str], fails: set[str], total: int, took: float, what: str) -> None:
        self.shares.append(min(1.0, len(chosen) / total))
        self.seconds.append(took)
        files = {c.partition("::")[0] for c in chosen}
        for nodeid in sorted(fails):
            # A file that failed to collect is caught when the file is selected.
            if nodeid in chosen or ("::" not in nodeid and nodeid in files):
                self.caught += 1
            else:
                self.missed.append(f"{what} fails {nodeid}")

    def line(self) -> str:
        if not self.shares:
            return f"  {self.name:<18} not run: {self.note}"
        med, mean = statistics.median(self.shares), statistics.mean(self.shares)
        took = statistics.median(self.seconds)
        total = self.caught + len(self.missed)
        note = f"  ({self.note})" if self.note else ""
        return (
            f"  {self.name:<18} failing tests selected {self.caught}/{total}; share of tests run"
            f" median {med:.0%}, mean {mean:.0%}; selection {took:.2f} s{note}"
        )


class Project:
    """One prepared project: its repo, environments and test list."""

    def __init__(self, name: str, extra: tuple[str, ...], work: Path) -> None:
        self.name = name
        self.repo, self.env = prepare(work, name, *extra)
        plug = work / "benchplug"
        plug.mkdir()
        (plug / "velbench_fail.py").write_text(_FAIL_PLUGIN)
        self.failed_file = work / "failed.json"
        # The subprocesses use the velocity this process imported, and the failure recorder.
        ours = Path(velocity.__file__).parent.parent
        self.env = {**self.env, "BENCH_FAILED": str(self.failed_file)}
        self.env["PYTHONPATH"] = f"{ours}:{self.env['PYTHONPATH']}:{plug}"
        tools = work / "tools"
        subprocess.run(
            [PYTHON, "-m", "pip", "-q", "install", "--target", tools, *TOOLS], check=True
        )
        self.tools_env = {**self.env, "PYTHONPATH": f"{self.env['PYTHONPATH']}:{tools}"}
        self.tools_env["PATH"] = f"{tools / 'bin'}:{self.env.get('PATH', '')}"
        self.tests = self.collect(self.env)

    def pytest(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        # testmon reads the cache provider's options: the tools' runs keep it.
        cache = [] if env is self.tools_env else ["-p", "no:cacheprovider"]
        cmd = [PYTHON, "-m", "pytest", *cache, *args]
        return subprocess.run(cmd, cwd=self.repo, env=env, capture_output=True, text=True)

    def collect(self, env: dict[str, str], *args: str) -> set[str]:
        # Selected tests, plus the files that failed to collect (they would run and fail).
        proc = self.pytest(env, "-q", "--collect-only", *args)
        started = _COLLECTED.search(proc.stdout) and proc.returncode in (0, 2, 5)
        if not started and hasattr(self, "tests"):
            # pytest never got to collect (a conftest failed, or the code under test exited
            # while imported): whatever a tool selects, the run fails whole.
            return set(self.tests)
        if not started:
            raise SystemExit(f"collection failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
        lines = proc.stdout.splitlines()
        errors = {ln.split()[1] for ln in lines if ln.startswith("ERROR ") and len(ln.split()) > 1}
        # Node ids may hold spaces (parametrize ids): any unindented line naming a test.
        ids = {ln for ln in lines if "::" in ln and not ln[:1].isspace()}
        return {i for i in ids if not i.startswith(("ERROR ", "FAILED "))} | errors

    def failing(self) -> set[str]:
        self.failed_file.unlink(missing_ok=True)
        self.pytest(self.env, "-q", "--tb=no", "-p", "velbench_fail")
        if not self.failed_file.exists():  # no session at all: a conftest failed to import
            return set(self.tests)
        return set(json.loads(self.failed_file.read_text()))


def _timed(fn: Callable[[], set[str]]) -> tuple[set[str], float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def _ours(project: Project, precision: str) -> set[str]:
    plan = make_plan(project.repo, "main", precision=precision).python_only()
    if plan.run_all:
        return set(project.tests)
    files, drop = set(plan.tests), plan.deselect
    return {t for t in project.tests if t.partition("::")[0] in files and t not in drop}


def _setup_tools(project: Project, tools: dict[str, Tool]) -> None:
    _tach_config(project)
    ignore = project.repo / ".gitignore"
    ignore.write_text(ignore.read_text() + ".testmondata*\n.tach/\n")
    subprocess.run(["git", "add", "-A"], cwd=project.repo, check=True)
    ident = ["-c", "user.name=bench", "-c", "user.email=b@example.com"]
    subprocess.run(["git", *ident, "commit", "-qm", "tools"], cwd=project.repo, check=True)
    started = time.perf_counter()
    proc = project.pytest(project.env, "-q", "--tb=no", *PLUGIN, "--affected-record")
    took = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"--affected-record failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    tools["ours-coverage"].note = f"recording run {took:.1f} s"
    started = time.perf_counter()
    proc = project.pytest(project.tools_env, "-q", "--tb=no", "--testmon", "-p", "no:tach")
    tools["testmon"].note = f"recording run {time.perf_counter() - started:.1f} s"
    if proc.returncode not in (0, 1):
        tools["testmon"].note += f"; exit {proc.returncode}: {proc.stdout[-300:]}"


def _tach_config(project: Project) -> None:
    # Every source module is a tach module; `tach sync` fills in the dependencies. tests/ must
    # be a source root too: tach resolves a test file's imports only inside one.
    src = project.repo / "src"
    modules = sorted(
        ".".join(p.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        for p in src.rglob("*.py")
    )
    body = ['source_roots = ["src", "tests"]', 'exclude = [".velocity"]', ""]
    for mod in modules:
        body += ["[[modules]]", f'path = "{mod}"', "depends_on = []", ""]
    (project.repo / "tach.toml").write_text("\n".join(body))
    proc = subprocess.run(
        ["tach", "sync"], cwd=project.repo, env=project.tools_env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(f"  tach sync: {proc.stdout[-500:]}{proc.stderr[-500:]}")


def _testmon(project: Project) -> set[str]:
    args = ("--testmon", "--testmon-nocollect", "-p", "no:tach")
    return project.collect(project.tools_env, *args)


def _tach(project: Project) -> set[str]:
    return project.collect(project.tools_env, "--tach-base", "main", "-p", "no:testmon")


def bench(name: str, extra: tuple[str, ...], work: Path) -> dict[str, Tool]:
    project = Project(name, extra, work)
    tools = {n: Tool(n) for n in ("ours-static", "ours-coverage", "testmon", "tach")}
    base_fail = project.failing()
    _setup_tools(project, tools)
    total = len(project.tests)
    _, plain = _timed(lambda: project.collect(project.env))
    selectors: dict[str, Callable[[], set[str]]] = {
        "ours-static": lambda: _ours(project, "static"),
        "ours-coverage": lambda: _ours(project, "coverage"),
        "testmon": lambda: _testmon(project),
        "tach": lambda: _tach(project),
    }
    mutants = 0
    for module in sorted((project.repo / "src" / name).rglob("*.py")):
        original = module.read_text()
        for kind in ("raise", "return-none", "flip"):
            mutant = mutate(original, kind)
            if mutant is None:
                continue
            mutants += 1
            module.write_text(mutant)
            what = f"{kind} in {module.relative_to(project.repo)}"
            try:
                fails = project.failing() - base_fail
                shares = []
                for tool_name, selector in selectors.items():
                    chosen, took = _timed(selector)
                    tools[tool_name].add(chosen, fails, total, took, what)
                    shares.append(f"{tool_name} {len(chosen) / total:.0%}")
                print(f"  {what}: {len(fails)} fail; {', '.join(shares)}", flush=True)
            finally:
                module.write_text(original)
    print(f"{name}: {mutants} mutants, {total} tests; plain pytest --collect-only {plain:.2f} s")
    for tool in tools.values():
        print(tool.line())
        for miss in tool.missed[:20]:
            print(f"    MISSED by {tool.name}: {miss}")
        if len(tool.missed) > 20:
            print(f"    ... and {len(tool.missed) - 20} more misses")
    return tools


def main() -> int:
    ok = True
    for name, extra in PROJECTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            tools = bench(name, extra, Path(tmp))
        ours = (tools["ours-static"], tools["ours-coverage"])
        ok &= not any(t.missed for t in ours)
        if name == "flask":
            ok &= statistics.median(tools["ours-coverage"].shares or [1.0]) <= 0.35
    print(
        "targets (velocity misses no failing test; coverage median share <= 35% on flask): "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
