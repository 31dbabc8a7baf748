"""STYLE #6: the agent ships alone; it must not pull in the controller side."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CONTROLLER_ONLY = [
    "velocity.livepatch.client",
    "velocity.livepatch.cli",
    "velocity.livepatch.commands",
    "velocity.livepatch.certs",
    "velocity.depci",
    "velocity.quantum",
    "paramiko",
    "pathspec",
    "cryptography",
]


def _loaded_after(code: str) -> set[str]:
    script = textwrap.dedent(code) + "\nimport sys\nprint('\\n'.join(sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


def _offenders(modules: set[str], banned: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == b or m.startswith(b + ".") for b in banned))


def test_stdio_agent_imports_no_controller_code():
    modules = _loaded_after(
        """
        from velocity.livepatch.agent_cli import cli
        from velocity.livepatch.agent.commands.stdio import stdio
        """
    )
    assert _offenders(modules, [*CONTROLLER_ONLY, "grpc"]) == []


def test_grpc_agent_imports_no_controller_code():
    modules = _loaded_after("from velocity.livepatch.agent.commands.serve import serve")
    assert "grpc" in modules
    assert _offenders(modules, CONTROLLER_ONLY) == []
