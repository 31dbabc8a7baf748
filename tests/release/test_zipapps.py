"""The single-file executables: scripts/build-zipapps.sh builds them, a plain python3 runs them.

The build is cached by the hash of what goes into it, so a rerun with the same sources reuses
the zipapps (and shiv's extracted copy of them) instead of building again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.platform != "win32":
    import fcntl

from .conftest import BIN
from .conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the first test pays for the build (about a minute, more under load)
    pytest.mark.skipif(
        sys.platform == "win32", reason="bash builds them here; release.yml builds Windows'"
    ),
]

NAMES = ("dep-ci", "livepatch", "quantum")
INPUTS = (
    "pyproject.toml",
    "constraints.txt",
    "README.md",
    "hatch_build.py",
    "scripts/build-zipapps.sh",
)


def source_key() -> str:
    digest = hashlib.sha256(f"{sys.version}|{sys.platform}".encode())
    files = [REPO / name for name in INPUTS if (REPO / name).exists()]
    files += sorted(p for p in (REPO / "src").rglob("*") if p.is_file() and _packaged(p))
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _packaged(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}


@pytest.fixture(scope="session")
def zipapps(pytestconfig: pytest.Config) -> Path:
    cache = pytestconfig.cache
    assert cache is not None, "the zipapp build is cached in pytest's cache"
    base = cache.mkdir("zipapps")
    with (base / "lock").open("w") as lock:
        # xdist workers (and concurrent runs) share one build.
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = base / source_key()
        if not (out / "complete").exists():
            for old in base.iterdir():
                if old.is_dir():
                    shutil.rmtree(old)
            build(out)
            (out / "complete").touch()
        fcntl.flock(lock, fcntl.LOCK_UN)
    return out


def build(out: Path) -> None:
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "build-zipapps.sh"), str(out)],
        env={
            **os.environ,
            "PYTHON": sys.executable,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in out.glob("*.pyz")) == [f"{n}.pyz" for n in sorted(NAMES)]


def plain_python() -> str:
    """The interpreter this venv was made from: same version, none of the venv's packages."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    path = shutil.which(name, path=str(Path(sys.base_prefix) / "bin"))
    assert path, f"no {name} under {sys.base_prefix}"
    return path


def run_pyz(
    zipapps: Path, name: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if Path(p).resolve() != BIN.resolve()
    )
    env["SHIV_ROOT"] = str(zipapps / "shiv-root")  # extracted once, reused by reruns
    return subprocess.run(
        [plain_python(), str(zipapps / f"{name}.pyz"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_plain_interpreter_does_not_have_velocity(zipapps: Path) -> None:
    # Otherwise the tests below would prove nothing about what the zipapps carry.
    proc = subprocess.run(
        [plain_python(), "-c", "import velocity"], capture_output=True, text=True, check=False
    )
    assert "No module named 'velocity'" in proc.stderr


@pytest.mark.parametrize("name", NAMES)
def test_version(zipapps: Path, name: str) -> None:
    proc = run_pyz(zipapps, name, "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{name} "), proc.stdout


def test_dep_ci_analyze(zipapps: Path, tmp_path: Path) -> None:
    files = {
        "calc.py": "def add(a, b):\n    return a + b\n",
        "other.py": "X = 1\n",
        "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        "test_other.py": "from other import X\n\ndef test_x():\n    assert X == 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=tmp_path, check=True)

    proc = run_pyz(zipapps, "dep-ci", "analyze", "--tests", "--json", "calc.py", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tests"] == ["test_calc.py"]


def test_livepatch_sync_local(zipapps: Path, tmp_path: Path) -> None:
    src, target = tmp_path / "src", tmp_path / "target"
    (src / "pkg").mkdir(parents=True)
    target.mkdir()
    (src / "app.py").write_text("print('v2')\n")
    (src / "pkg" / "mod.py").write_text("X = 2\n")

    proc = run_pyz(
        zipapps, "livepatch", "sync", "--json", "--state-dir", str(tmp_path / "state"),
        str(src), f"local://{target}",
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changed"] == 2
    assert (target / "app.py").read_text() == "print('v2')\n"
    assert (target / "pkg" / "mod.py").read_text() == "X = 2\n"


def test_quantum_simulate(zipapps: Path) -> None:
    proc = run_pyz(zipapps, "quantum", "simulate", "--prs", "4", "--seed", "1", "--json")

    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout)["merged"]) == ["1", "2", "3", "4"]
