"""What TS/JS resolution reads: tsconfig (with ``extends``), package.json, workspaces."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

__all__ = [
    "JsPackage",
    "TsConfig",
    "extends_chain",
    "extends_target",
    "load_json",
    "load_packages",
    "load_tsconfig",
]

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
    """Load *rel* (repo-relative) following its ``extends`` chain.

    A relative ``extends`` names a file next to *rel*; any other names a package in a
    ``node_modules`` directory above *rel*, found the way TypeScript does
    (see :func:`extends_target`).

    .. versionadded:: 0.1
    """
    data = load_json(root / rel)
    here = PurePosixPath(rel).parent
    conf = TsConfig()
    if not isinstance(data, dict):
        return conf
    for ext in _extends_of(data):
        target = extends_target(root, rel, ext) if _depth < 10 else None
        if target is not None:
            _inherit(conf, load_tsconfig(root, target, _depth + 1))
    _apply(conf, data.get("compilerOptions") or {}, here)
    return conf


def extends_chain(root: Path, rel: str) -> list[str]:
    """Every file *rel*'s ``extends`` chain reads, in order, *rel* excluded.

    .. versionadded:: 0.2
    """
    out: list[str] = []
    todo = [rel]
    while todo and len(out) < 20:
        current = todo.pop()
        data = load_json(root / current)
        for ext in _extends_of(data) if isinstance(data, dict) else []:
            target = extends_target(root, current, ext)
            if target is not None and target not in out and target != rel:
                out.append(target)
                todo.append(target)
    return out


def extends_target(root: Path, rel: str, spec: str) -> str | None:
    """The repo-relative file an ``extends`` value *spec* in *rel* names, if it exists.

    Relative specs are taken from *rel*'s directory (``.json`` added when missing). Others
    are looked up like TypeScript's module resolution for configs: in ``node_modules`` of
    *rel*'s directory and each one above it, the package's ``exports``, then the file
    (``.json`` added when missing), then ``tsconfig`` of package.json or ``tsconfig.json``.
    A relative spec's file need not exist (an unreadable config is an empty one).

    .. versionadded:: 0.2
    """
    here = PurePosixPath(rel).parent
    if spec.startswith("."):
        target = _norm(here / spec)
        plain = target.endswith(".json") or (root / target).is_file()
        return target if plain else target + ".json"
    parts = spec.split("/")
    size = 2 if spec.startswith("@") else 1
    name, sub = "/".join(parts[:size]), "/".join(parts[size:])
    directory: PurePosixPath | None = here
    while directory is not None:
        pkg = _norm(directory / "node_modules" / name)
        if (root / pkg).is_dir():
            found = _in_package(root, pkg, sub)
            if found is not None:
                return found
        directory = None if str(directory) in ("", ".") else directory.parent
    return None


def _extends_of(data: dict[str, Any]) -> list[str]:
    extends = data.get("extends")
    found = [extends] if isinstance(extends, str) else extends or []
    return [e for e in found if isinstance(e, str) and e] if isinstance(found, list) else []


def _in_package(root: Path, pkg: str, sub: str) -> str | None:
    manifest = load_json(root / pkg / "package.json")
    manifest = manifest if isinstance(manifest, dict) else {}
    exported = _export(manifest.get("exports"), "./" + sub if sub else ".")
    candidates = [exported] if exported is not None else []
    if sub:
        candidates += [sub, sub + ".json", sub + "/tsconfig.json"]
    else:
        field_ = manifest.get("tsconfig")
        candidates += [field_] if isinstance(field_, str) else []
        candidates.append("tsconfig.json")
    for candidate in candidates:
        target = _norm(PurePosixPath(pkg) / candidate)
        if (root / target).is_file():
            return target
    return None


def _export(exports: Any, key: str) -> str | None:
    # package.json "exports": the entry for *key* (patterns with one "*" allowed).
    if isinstance(exports, (str, list)) or (
        isinstance(exports, dict) and not any(str(k).startswith(".") for k in exports)
    ):
        return _condition(exports) if key == "." else None
    if not isinstance(exports, dict):
        return None
    if key in exports:
        return _condition(exports[key])
    for pattern, value in exports.items():
        head, star, tail = str(pattern).partition("*")
        fits = key.startswith(head) and key.endswith(tail) and len(key) >= len(head + tail)
        target = _condition(value) if star and fits else None
        if target is not None:
            return target.replace("*", key[len(head) : len(key) - len(tail)])
    return None


def _condition(value: Any) -> str | None:
    # TypeScript reads a config through the "types", "require" and "default" conditions.
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((t for t in map(_condition, value) if t is not None), None)
    if isinstance(value, dict):
        for key in ("types", "require", "node", "default"):
            if key in value:
                return _condition(value[key])
    return None


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
