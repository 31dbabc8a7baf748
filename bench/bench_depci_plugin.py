"""Overhead of the pytest plugin on a real project: flask's sdist (source and tests, PyPI).

Figures, all in this run: plain ``pytest --collect-only`` (the anchor); the plugin loaded
but not asked for; ``--affected-only`` with nothing changed (target from issue #4: at most
0.1 s over plain collection); ``--affected-only`` after a one-line edit of one module. Every
figure is the best of 3 wall times including interpreter start. Needs network access to PyPI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path

PYTHON = sys.executable
# With its pytest11 entry point installed the plugin loads itself; else load it with -p.
NAME = "velocity-depci" if entry_points(group="pytest11", name="velocity-depci") else ""
PLUGIN = [] if NAME else ["-p", "velocity.depci.pytest_plugin"]
NO_PLUGIN = ["-p", f"no:{NAME or 'velocity.depci.pytest_plugin'}"]
# Old sdists' tests use private pytest names that pytest 9 moved: patched before the commit.
FIXUPS = {
    "flask": [
        ("tests/conftest.py", "monkeypatch.notset", "monkeypatch.NOTSET"),
        ("tests/test_cli.py", "from _pytest.monkeypatch import notset",
         "from _pytest.compat import NOTSET as notset"),
    ],
}  # fmt: skip


def prepare(work: Path, name: str, *extra: str) -> tuple[Path, dict[str, str]]:
    """*name*'s sdist as a git repo, and an environment whose PYTHONPATH has its deps only.

    *extra* are more packages the tests need (installed next to the dependencies).
    """
    dist = work / "dist"
    pip = [PYTHON, "-m", "pip", "-q"]
    subprocess.run(
        [*pip, "download", "--no-deps", "--no-binary", ":all:", name, "-d", dist], check=True
    )
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(work / "src", filter="data")
    (repo,) = (work / "src").iterdir()
    site = work / "site"
    subprocess.run([*pip, "install", "--target", site, name, *extra], check=True)
    for installed in site.glob(f"{name}*"):  # the code under test comes from the sdist
        shutil.rmtree(installed) if installed.is_dir() else installed.unlink()
    roots = [str(repo / "src"), str(site)] if (repo / "src").is_dir() else [str(repo), str(site)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(roots), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    for rel, old, new in FIXUPS.get(name, []):
        (repo / rel).write_text((repo / rel).read_text().replace(old, new))
    (repo / ".gitignore").write_text(".velocity/\n__pycache__/\n.pytest_cache/\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "sdist"]):
        ident = ["-c", "user.name=bench", "-c", "user.email=b@example.com"]
        subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)
    return repo, env


def pytest_wall(repo: Path, env: dict[str, str], *args: str, runs: int = 3) -> float:
    best = float("inf")
    base = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(
            [*base, *args],
            cwd=repo, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
        if proc.returncode not in (0, 5):
            raise SystemExit(f"pytest {args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return best


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        repo, env = prepare(Path(tmp), "flask")
        plain = pytest_wall(repo, env, "--collect-only", *NO_PLUGIN)
        loaded = pytest_wall(repo, env, "--collect-only", *PLUGIN)
        pytest_wall(repo, env, "--collect-only", *PLUGIN, "--affected-only", runs=1)  # warm
        nothing = pytest_wall(repo, env, "--collect-only", *PLUGIN, "--affected-only")
        helpers = repo / "src" / "flask" / "helpers.py"
        helpers.write_text(helpers.read_text() + "\n# edited\n")
        one = pytest_wall(repo, env, "--collect-only", *PLUGIN, "--affected-only")
    print(f"plain pytest --collect-only (anchor)      {plain:6.3f} s")
    print(f"plugin loaded, not asked for              {loaded:6.3f} s  ({loaded - plain:+.3f} s)")
    print(f"--affected-only, nothing changed          {nothing:6.3f} s  ({nothing - plain:+.3f} s)")
    print(f"--affected-only, helpers.py edited        {one:6.3f} s  ({one - plain:+.3f} s)")
    ok = nothing - plain <= 0.1
    print(f"target: nothing changed <= plain + 0.1 s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
