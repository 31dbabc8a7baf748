"""The livepatch-kubectl plugin: kubectl:// through an executable standing in for kubectl.

There is no Kubernetes here: the ``kubectl`` put first on PATH checks its argv against the
``exec -i -n NS POD [-c C] -- COMMAND`` form, records it, and runs COMMAND locally.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from velocity.core.errors import UsageError
from velocity.livepatch.cli import main
from velocity.livepatch.client import ConnectOptions
from velocity.livepatch.client import Syncer
from velocity.livepatch.client import parse_target
from velocity.livepatch.client._targets import plugin_transports

AGENT = f"{sys.executable} -m velocity.livepatch.agent"

FAKE_KUBECTL = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
def fail(why):
    sys.exit(f"fake kubectl: {{why}}: {{args}}")
if args[:1] == ["--context"]:
    if len(args) < 2 or not args[1]:
        fail("--context needs a value")
    args = args[2:]
if args[:4] != ["exec", "-i", "-n", args[3] if len(args) > 3 else ""] or not args[3]:
    fail("expected exec -i -n NAMESPACE")
pod, rest = args[4], args[5:]
if not pod or pod.startswith("-"):
    fail("expected a pod name")
if rest[:1] == ["-c"]:
    if len(rest) < 2 or rest[1].startswith("-"):
        fail("-c needs a container")
    rest = rest[2:]
if rest[:1] != ["--"] or len(rest) < 2:
    fail("expected -- COMMAND")
os.execvp(rest[1], rest[1:])
"""


@pytest.fixture
def kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir, log = tmp_path / "bin", tmp_path / "kubectl.log"
    bin_dir.mkdir()
    fake = bin_dir / "kubectl"
    fake.write_text(FAKE_KUBECTL.format(python=sys.executable, log=str(log)))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def calls(log: Path) -> list[list[str]]:
    return [list(json.loads(line)) for line in log.read_text().splitlines()]


def test_the_entry_point_registers_the_scheme():
    assert "kubectl" in plugin_transports()


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("kubectl://staging/api-0/srv/app", ["exec", "-i", "-n", "staging", "api-0", "--"]),
        (
            "kubectl://dev@staging/api-0:web/srv/app",
            ["--context", "dev", "exec", "-i", "-n", "staging", "api-0", "-c", "web", "--"],
        ),
    ],
)
def test_sync_into_a_pod(kubectl, tmp_path, url, prefix):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "app.py").write_text("print('hi')\n")
    target = parse_target(url.replace("/srv/app", str(dst)))
    with Syncer(src, target, ConnectOptions(agent_command=AGENT), tmp_path / "state") as syncer:
        assert syncer.sync().counts == {"whole": 1}
    assert (dst / "app.py").read_text() == "print('hi')\n"
    (argv,) = calls(kubectl)
    assert argv == [*prefix, *AGENT.split(), "stdio", "--root", str(dst)]


@pytest.mark.parametrize(
    "url",
    ["kubectl://staging/api-0", "kubectl://staging//srv", "kubectl://staging:80/api-0/srv"],
)
def test_malformed_urls_are_one_line_errors(url, tmp_path, capsys):
    with pytest.raises(UsageError, match="kubectl"):
        Syncer(tmp_path, parse_target(url), ConnectOptions(agent_command=AGENT), tmp_path / "s")
    assert main(["sync", str(tmp_path), url, "--state-dir", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_sync_through_the_fake_kubectl(kubectl, tmp_path, capsys):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "a.txt").write_text(textwrap.dedent("one\n"))
    url = f"kubectl://ns/pod-1{dst}"
    argv = ["sync", str(src), url, "--agent-command", AGENT, "--state-dir", str(tmp_path / "s")]
    assert main(argv) == 0
    assert (dst / "a.txt").read_text() == "one\n"
    assert calls(kubectl)[0][:6] == ["exec", "-i", "-n", "ns", "pod-1", "--"]
