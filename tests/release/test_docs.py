"""The docs can't rot: every Python name docs/api.md lists imports (and each package's
``__all__`` is listed in full), its examples compile against the real API, its HTTP routes are
the App's, and every command the guides show exists and answers ``--help``."""

from __future__ import annotations

import ast
import importlib
import re
import shlex
import subprocess
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pytest
from velocity_github_app import create_app
from velocity_github_app import open_stores

from velocity.core.config import GitHubSettings
from velocity.core.config import QuantumSettings
from velocity.core.config import Settings

from .conftest import BIN
from .conftest import REPO

DOCS = REPO / "docs"
API = DOCS / "api.md"
GUIDES = [DOCS / "getting-started.md", DOCS / "containers.md"]
PACKAGES = ["velocity.core", "velocity.depci", "velocity.livepatch", "velocity.quantum"]
TOOLS = ["velocity", "dep-ci", "livepatch", "livepatch-agent", "quantum", "velocity-github-app"]


def documented_names() -> list[tuple[str, str]]:
    """``(module, name)`` for each row of docs/api.md's tables that names a Python object."""
    rows = re.findall(r"^\| `(velocity[\w.]*)\.(\w+)` \|", API.read_text(), re.MULTILINE)
    return sorted(set(rows))


def code_blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"^ *```{language}\n(.*?)^ *```", path.read_text(), re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(("module", "name"), documented_names(), ids=".".join)
def test_documented_name_imports(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module}.{name} is documented"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_documented(package: str) -> None:
    listed = {name for module, name in documented_names() if module == package}
    missing = sorted(set(importlib.import_module(package).__all__) - listed)
    assert not missing, f"add to docs/api.md under {package}: {missing}"


def test_api_examples_compile_against_the_api() -> None:
    blocks = code_blocks(API, "python")
    assert blocks
    for block in blocks:
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module}.{alias.name}"


def test_http_routes_are_the_apps(tmp_path: Path) -> None:
    # Only the App's own table: the dashboard's routes are documented in their own section.
    text = API.read_text().split("## The GitHub App's HTTP API", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(GET|POST|PUT|DELETE)` \| `(\S+)` \|", text, re.MULTILINE))
    settings = Settings(github=GitHubSettings())
    stores = open_stores(QuantumSettings(sqlite_path=tmp_path / "q.sqlite3"))
    app = create_app(settings, stores=stores, github_client_factory=_no_github)
    served = {(m, r.path) for r in app.routes for m in (r.methods or ()) if m != "HEAD"}  # type: ignore[attr-defined]
    assert documented == served


def _no_github() -> Any:
    raise AssertionError("listing routes must not call GitHub")


@cache
def tool_cli(tool: str) -> click.Command:
    (ep,) = [ep for ep in entry_points(group="console_scripts") if ep.name == tool]
    return importlib.import_module(ep.module).cli  # type: ignore[no-any-return]


def command_path(line: str) -> tuple[str, ...]:
    """The tool and subcommands a shell line runs, checked against the tool's click tree."""
    words = shlex.split(line, comments=True)
    path: tuple[str, ...] = (words[0],)
    command, i = tool_cli(words[0]), 1
    while isinstance(command, click.Group) and i < len(words):
        word = words[i]
        if word == "--":
            break
        if word.startswith("-"):
            option = next((p for p in command.params if word.split("=")[0] in p.opts), None)
            assert option is not None, f"{line!r}: {' '.join(path)} has no option {word}"
            takes_value = isinstance(option, click.Option) and not option.is_flag
            i += 2 if takes_value and "=" not in word else 1
            continue
        assert word in command.commands, f"{line!r}: {' '.join(path)} has no command {word!r}"
        path, command, i = (*path, word), command.commands[word], i + 1
    assert not isinstance(command, click.Group), f"{line!r} names no subcommand"
    known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
    for word in words[i:]:
        if word == "--":
            break
        if word.startswith("-") and len(word) > 1 and not word[1].isdigit():
            assert word.split("=")[0] in known, f"{line!r}: {' '.join(path)} has no {word}"
    return path


def shown_commands() -> list[tuple[str, ...]]:
    found = set()
    for guide in GUIDES:
        for block in code_blocks(guide, "sh"):
            for raw in block.splitlines():
                line = raw.strip()
                if line.split(" ", 1)[0] in TOOLS and not line.endswith("\\"):
                    if line.split()[1:2] == ["--version"]:
                        continue
                    found.add(command_path(line))
    return sorted(found)


def test_the_guides_show_every_tool() -> None:
    shown = {path[0] for path in shown_commands()}
    assert shown >= {"velocity", "dep-ci", "livepatch", "livepatch-agent", "quantum"}


@pytest.mark.parametrize("path", shown_commands(), ids=" ".join)
def test_shown_command_answers_help(path: tuple[str, ...]) -> None:
    proc = subprocess.run(
        [BIN / path[0], *path[1:], "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: "), proc.stdout


@pytest.mark.parametrize("doc", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
        assert (doc.parent / target).exists(), f"{doc.name} links to {target}"
