"""The GitHub workflows: actionlint finds nothing, actions are pinned, and the jobs the
release depends on are there."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import BIN
from .conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def actionlint(root: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "actionlint", "-no-color", *(f.relative_to(root) for f in files)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_both_workflows_exist() -> None:
    assert {f.name for f in FILES} >= {"ci.yml", "release.yml"}


def test_actionlint_finds_nothing() -> None:
    proc = actionlint(REPO, *FILES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_would_fail_on_a_mistake(tmp_path: Path) -> None:
    shutil.copytree(REPO / ".github", tmp_path / ".github")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    text = broken.read_text().replace("dist.outputs.version", "dist.outputs.nope")
    broken.write_text(text)
    proc = actionlint(tmp_path, broken)
    assert proc.returncode == 1
    assert 'property "nope" is not defined' in proc.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_by_sha_with_a_version_comment(path: Path) -> None:
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", path.read_text(), re.MULTILINE)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r" # v\d+(\.\d+)*", comment), comment


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    data = load(path.name)
    assert data["permissions"] == {}
    for name, job in data["jobs"].items():
        assert "permissions" in job, name
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes <= ({"contents"} if name == "release" else set()), name
    assert "persist-credentials: true" not in path.read_text()


def test_ci_runs_make_test_on_linux_and_the_suite_elsewhere() -> None:
    jobs = load("ci.yml")["jobs"]
    assert {"lint", "types", "linux", "other-os", "images"} <= jobs.keys()
    assert any("make test" in s.get("run", "") for s in jobs["linux"]["steps"])
    assert set(jobs["other-os"]["strategy"]["matrix"]["os"]) == {"macos-latest", "windows-latest"}
    assert any("mypy" in s.get("run", "") for s in jobs["types"]["steps"])


def test_release_on_version_tags_with_every_artifact() -> None:
    data = load("release.yml")
    assert data["on"]["push"]["tags"] == ["v*"]
    jobs = data["jobs"]
    assert set(jobs["release"]["needs"]) == {"dist", "zipapps", "images"}
    oses = {row["os"] for row in jobs["zipapps"]["strategy"]["matrix"]["include"]}
    assert oses == {"ubuntu-latest", "macos-latest", "windows-latest"}
    zipapp_steps = " ".join(s.get("run", "") for s in jobs["zipapps"]["steps"])
    assert "scripts/build-zipapps.sh" in zipapp_steps
    dist_steps = " ".join(s.get("run", "") for s in jobs["dist"]["steps"])
    assert "python -m build" in dist_steps
    assert set(jobs["images"]["strategy"]["matrix"]["target"]) == {"agent", "app"}
    image_steps = [s.get("uses", "") for s in jobs["images"]["steps"]]
    assert any(u.startswith("docker/build-push-action@") for u in image_steps)
