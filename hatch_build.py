"""Hatch build hook: vendor the dashboard's browser libraries into every wheel.

Wire it in pyproject.toml with ``[tool.hatch.build.hooks.custom]``. The files come from npm
(``src/velocity/dashboard/web/package-lock.json`` pins them) and are git-ignored, so they
are force-included. An editable install without npm only warns: the dashboard then says
how to bundle them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_BUNDLE = Path("src/velocity/dashboard/_bundle.py")


def _load_bundler(root: Path) -> ModuleType:
    # Loaded by path: the build environment has none of velocity's dependencies.
    spec = importlib.util.spec_from_file_location("_velocity_dashboard_bundle", root / _BUNDLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DashboardBundleHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        bundler = _load_bundler(Path(self.root))
        try:
            files = bundler.bundle()
        except bundler.BundleError as exc:
            if version == "editable":
                print(f"warning: dashboard not bundled: {exc}", file=sys.stderr)
                return
            raise
        if version == "editable":
            return  # the source tree is on sys.path: the files are served from there
        for path in files:
            rel = path.relative_to(Path(self.root) / "src")
            build_data["force_include"][str(path)] = rel.as_posix()
