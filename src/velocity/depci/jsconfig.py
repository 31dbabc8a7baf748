"""What TS/JS resolution reads: tsconfig (with ``extends``), package.json, workspaces."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

__all__ = ["JsPackage", "TsConfig", "load_json", "load_packages", "load_tsconfig"]

_JSONC = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')


def load_json(path: Path) -> Any:
    """Read JSON that may carry comments and trailing commas (tsconfig style); ``None`` if bad.

    .. versionadded:: 0.1
    """
    try:
        raw = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    cleaned = _JSONC.sub(lambda m: m.group(1) or "", raw)
    cleaned = _TRAILING.sub(lambda m: m.group(1) or m.group(2), cleaned)
    try:
        return json.loads(cleaned)
    except ValueError:
        return None


@dataclass
class TsConfig:
    """The resolution part of a tsconfig/jsconfig, paths already made repo-relative.

    .. versionadded:: 0.1
    """

    base_url: str | None = None
    paths: dict[str, list[str]] = field(default_factory=dict)
    paths_base: str = ""


def load_tsconfig(root: Path, rel: str, _depth: int = 0) -> TsConfig:
    """Load *rel* (repo-relative) following relative ``extends`` chains.

    .. versionadded:: 0.1
    """
    data = load_json(root / rel)
    here = PurePosixPath(rel).parent
    conf = TsConfig()
    if not isinstance(data, dict):
        return conf
    extends = data.get("extends")
    for ext in [extends] if isinstance(extends, str) else extends or []:
        if isinstance(ext, str) and ext.startswith(".") and _depth < 10:
            target = _norm(here / ext)
            target += "" if target.endswith(".json") else ".json"
            _inherit(conf, load_tsconfig(root, target, _depth + 1))
    _apply(conf, data.get("compilerOptions") or {}, here)
    return conf


def _inherit(conf: TsConfig, parent: TsConfig) -> None:
    # Later entries of an `extends` array override earlier ones, field by field.
    if parent.base_url is not None:
        conf.base_url = parent.base_url
    if parent.paths:
        conf.paths, conf.paths_base = parent.paths, parent.paths_base


def _apply(conf: TsConfig, opts: dict[str, Any], here: PurePosixPath) -> None:
    if isinstance(opts.get("baseUrl"), str):
        conf.base_url = _norm(here / opts["baseUrl"])
    if isinstance(opts.get("paths"), dict):
        paths = opts["paths"].items()
        conf.paths = {k: [str(t) for t in v] for k, v in paths if isinstance(v, list)}
        conf.paths_base = conf.base_url if conf.base_url is not None else _norm(here)
    elif conf.paths and conf.base_url is not None and isinstance(opts.get("baseUrl"), str):
        # A child's baseUrl re-anchors inherited paths (they are relative to baseUrl).
        conf.paths_base = conf.base_url


@dataclass
class JsPackage:
    """An in-repo package (a directory with a named package.json).

    .. versionadded:: 0.1
    """

    name: str
    dir: str
    manifest: dict[str, Any]


def load_packages(root: Path, files: list[str]) -> dict[str, JsPackage]:
    """Every in-repo package by name: npm/yarn ``workspaces`` and pnpm-workspace members alike.

    Any package.json with a ``name`` is included (a superset of the declared workspaces, so a
    workspace glob the parser misreads can only add edges, never drop them).

    .. versionadded:: 0.1
    """
    out: dict[str, JsPackage] = {}
    for rel in files:
        if rel.rpartition("/")[2] != "package.json":
            continue
        data = load_json(root / rel)
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            pkg_dir = _norm(PurePosixPath(rel).parent)
            out.setdefault(data["name"], JsPackage(data["name"], pkg_dir, data))
    return out


def _norm(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)
