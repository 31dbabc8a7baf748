"""Product A, "Dependency-Aware CI": run only the tests a change can reach.

The engine: :func:`build_graph` parses and resolves a repository into an
:class:`Analysis`; :func:`select` turns changed files into a :class:`Selection`;
:func:`changed_files` asks git what changed. Names load lazily, so importing this
package costs nothing until they are used.

Safety rules (a missed test is the one unforgivable bug):

- a changed file matching ``run_all_on`` (lockfiles, pyproject.toml, package.json,
  tsconfig*.json, pytest.ini, ...) selects every test; so does a changed file that fails to
  parse, and a changed file no rule places (not code, not ``ignore``, not ``extra_deps``);
- a test depends on every ``conftest.py`` above it;
- a deleted or renamed-away file still resolves, so its former importers are selected;
- a file known not to parse is always affected when anything changes.

Configuration, in ``pyproject.toml``::

    [tool.velocity.depci]
    run_all_on = ["poetry.lock", "requirements*.txt"]   # replaces the defaults
    ignore = ["docs/", "*.md"]
    python_roots = ["src", "lib"]                        # instead of detection
    symbol_precision = true
    [tool.velocity.depci.extra_deps]
    "data/*.csv" = ["tests/test_loader.py"]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from velocity.depci.cache import CacheStats
    from velocity.depci.changes import changed_files
    from velocity.depci.changes import default_base
    from velocity.depci.engine import Analysis
    from velocity.depci.engine import build_graph
    from velocity.depci.files import is_test_file
    from velocity.depci.graph import Graph
    from velocity.depci.model import Binding
    from velocity.depci.model import Edge
    from velocity.depci.model import ImportRef
    from velocity.depci.model import ParsedFile
    from velocity.depci.parse import PARSERS
    from velocity.depci.parse import LanguageParser
    from velocity.depci.rules import Rules
    from velocity.depci.rules import load_rules
    from velocity.depci.rules_model import DepciRules
    from velocity.depci.selection import Selection
    from velocity.depci.selection import select

__all__ = [
    "PARSERS",
    "Analysis",
    "Binding",
    "CacheStats",
    "DepciRules",
    "Edge",
    "Graph",
    "ImportRef",
    "LanguageParser",
    "ParsedFile",
    "Rules",
    "Selection",
    "build_graph",
    "changed_files",
    "default_base",
    "is_test_file",
    "load_rules",
    "select",
]

_HOME = {
    "CacheStats": "cache", "changed_files": "changes", "default_base": "changes",
    "Analysis": "engine", "build_graph": "engine", "is_test_file": "files", "Graph": "graph",
    "Binding": "model", "Edge": "model", "ImportRef": "model", "ParsedFile": "model",
    "PARSERS": "parse", "LanguageParser": "parse", "DepciRules": "rules_model", "Rules": "rules",
    "load_rules": "rules", "Selection": "selection", "select": "selection",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"velocity.depci.{home}"), name)
