"""Where Python packages live: the import roots of a repository (``src/`` layouts, monorepos)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

__all__ = ["detect_python_roots"]


def detect_python_roots(root: Path, files: Iterable[str]) -> list[str]:
    """Repo-relative import roots, most specific first; ``""`` (the repo root) is always last.

    Read from every ``pyproject.toml`` (``[tool.setuptools] package-dir``,
    ``[tool.setuptools.packages.find] where``, hatch wheel ``packages``, poetry ``packages``)
    and ``setup.cfg`` (``package_dir``, ``packages.find where``) in the repository, plus any
    directory named ``src`` next to one of them or at the top.

    .. versionadded:: 0.1
    """
    found: list[str] = []
    file_set = set(files)
    configs = sorted(f for f in file_set if f.rpartition("/")[2] in ("pyproject.toml", "setup.cfg"))
    for cfg in configs:
        base = PurePosixPath(cfg).parent.as_posix()
        for rel in _roots_from(root / cfg):
            found.append(_join(base, rel))
        found.append(_join(base, ""))
    if any(f.startswith("src/") for f in file_set):
        found.append("src")
    for cfg in configs:
        src = _join(PurePosixPath(cfg).parent.as_posix(), "src")
        if any(f.startswith(src + "/") for f in file_set):
            found.append(src)
    ordered = list(dict.fromkeys(r for r in found if r))
    return [*sorted(ordered, key=lambda r: -r.count("/")), ""]


def _join(base: str, rel: str) -> str:
    parts = [p for p in (base, rel.strip("/")) if p and p != "."]
    return PurePosixPath(*parts).as_posix() if parts else ""


def _roots_from(path: Path) -> list[str]:
    # Imported here: a repository without these configs never pays for the parsers.
    import configparser
    import tomllib

    try:
        if path.name == "pyproject.toml":
            return _from_pyproject(tomllib.loads(path.read_text("utf-8")))
        return _from_setup_cfg(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, configparser.Error):
        # A broken config is reported by the run-everything rule; roots fall back to defaults.
        return []


def _from_pyproject(data: dict[str, Any]) -> list[str]:
    tool = data.get("tool", {})
    st = tool.get("setuptools", {})
    roots = [str(v) for v in (st.get("package-dir") or {}).values()]
    find = (st.get("packages") or {}) if isinstance(st.get("packages"), dict) else {}
    roots += [str(w) for w in (find.get("find", {}).get("where") or [])]
    wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    roots += [PurePosixPath(str(p)).parent.as_posix() for p in wheel.get("packages", [])]
    roots += [str(p["from"]) for p in tool.get("poetry", {}).get("packages", []) if "from" in p]
    return roots


def _from_setup_cfg(content: str) -> list[str]:
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read_string(content)
    roots: list[str] = []
    for line in cfg.get("options", "package_dir", fallback="").splitlines():
        if line.strip():
            roots.append(line.split("=", 1)[-1].strip())
    roots += cfg.get("options.packages.find", "where", fallback="").split()
    return roots
