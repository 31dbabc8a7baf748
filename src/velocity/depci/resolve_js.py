"""TS/JS specifier -> repository file: relative paths, tsconfig paths, workspace packages."""

from __future__ import annotations

from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

from velocity.depci.jsconfig import JsPackage
from velocity.depci.jsconfig import TsConfig
from velocity.depci.jsconfig import load_json
from velocity.depci.jsconfig import load_packages
from velocity.depci.jsconfig import load_tsconfig
from velocity.depci.model import Edge
from velocity.depci.model import ImportRef

__all__ = ["JsResolver"]

_EXTS = (".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_CODE = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_BUILD_DIRS = ("dist", "lib", "build", "out", "esm", "cjs")


class JsResolver:
    """Resolves imports of TS/JS files to edges (all deep; ``type_only`` carried over).

    .. versionadded:: 0.1
    """

    def __init__(self, root: Path, files: set[str]) -> None:
        self._root = root
        self._files = files
        self._packages = load_packages(root, sorted(files))
        self._configs = {
            f for f in files if f.rpartition("/")[2] in ("tsconfig.json", "jsconfig.json")
        }
        self._conf_by_dir: dict[str, TsConfig] = {}
        self._by_pkg: dict[str, list[str]] = {}

    def resolve(self, path: str, ref: ImportRef) -> list[Edge]:
        """The edges for one import of the file at *path*; external packages give none."""
        spec = ref.spec.split("?", 1)[0].split("#", 1)[0] if "?" in ref.spec else ref.spec
        targets = self._targets(path, spec)
        seen = dict.fromkeys(t for t in targets if t != path)
        return [Edge(t, True, ref.line, ref.spec, ref.type_only) for t in seen]

    def _targets(self, path: str, spec: str) -> list[str]:
        if spec.startswith("./") or spec.startswith("../") or spec in (".", ".."):
            return self._file_or_dir(_join(PurePosixPath(path).parent.as_posix(), spec))
        if spec.startswith("/") or ":" in spec:
            return []  # absolute paths and `node:fs`-style builtins
        conf = self._config(PurePosixPath(path).parent.as_posix())
        found = self._paths(conf, spec)
        if not found and spec.startswith("#"):
            found = self._subpath_import(PurePosixPath(path).parent.as_posix(), spec)
        if not found and conf.base_url is not None:
            found = self._file_or_dir(_join(conf.base_url, spec))
        return found or self._package(spec)

    def _subpath_import(self, directory: str, spec: str) -> list[str]:
        # package.json "imports" (`#internal/x`) of the nearest package.json above the file.
        while True:
            manifest = _join(directory, "package.json")
            if manifest in self._files:
                data = load_json(self._root / manifest)
                imports = data.get("imports") if isinstance(data, dict) else None
                found: list[str] = []
                for target in _imports_targets(imports, spec):
                    if target.startswith("."):
                        found += self._file_or_dir(_join(directory, target))
                    else:
                        found += self._package(target)
                return found
            if not directory:
                return []
            directory = _dot(PurePosixPath(directory).parent.as_posix())

    def _paths(self, conf: TsConfig, spec: str) -> list[str]:
        found: list[str] = []
        for pattern, subs in conf.paths.items():
            star = _match(pattern, spec)
            if star is None:
                continue
            for sub in subs:
                found += self._file_or_dir(_join(conf.paths_base, sub.replace("*", star, 1)))
        return found

    def _package(self, spec: str) -> list[str]:
        parts = spec.split("/")
        n = 2 if spec.startswith("@") else 1
        pkg = self._packages.get("/".join(parts[:n]))
        if pkg is None:
            return []
        sub = "/".join(parts[n:])
        exports = pkg.manifest.get("exports")
        if exports is not None:
            targets = _exports(exports, "./" + sub if sub else ".")
        elif sub:
            targets = [sub]
        else:
            m = pkg.manifest
            targets = [
                m[k]
                for k in ("source", "types", "typings", "module", "main")
                if isinstance(m.get(k), str)
            ]
            targets.append("index")
        found = [f for t in targets for f in self._in_package(pkg, t)]
        # Safety first: an entry point we can't place means the importer may use any of it.
        return found or self._all_of(pkg.dir)

    def _all_of(self, directory: str) -> list[str]:
        files = self._by_pkg.get(directory)
        if files is None:
            files = sorted(f for f in self._files if _under(f, directory) and f.endswith(_CODE))
            self._by_pkg[directory] = files
        return files

    def _in_package(self, pkg: JsPackage, target: str) -> list[str]:
        found = self._file_or_dir(_join(pkg.dir, target))
        parts = PurePosixPath(target.removeprefix("./")).parts
        if not found and len(parts) > 1 and parts[0] in _BUILD_DIRS:
            # `dist/index.js` is built output; in the repo, the source sits in `src/`.
            rel = "/".join(("src", *parts[1:])).removesuffix(".d.ts")
            found = self._file_or_dir(_join(pkg.dir, rel))
        return found

    def _file_or_dir(self, base: str) -> list[str]:
        if base in self._files:
            return [base]
        suffix = PurePosixPath(base).suffix
        for ext in _JS_TO_TS.get(suffix, ()):
            if base[: -len(suffix)] + ext in self._files:
                return [base[: -len(suffix)] + ext]
        for ext in _EXTS:
            if base + ext in self._files:
                return [base + ext]
        manifest = _join(base, "package.json")
        if manifest in self._files:
            data = load_json(self._root / manifest)
            main = data.get("main") if isinstance(data, dict) else None
            if isinstance(main, str) and _join(base, main) != base:
                found = self._file_or_dir(_join(base, main))
                if found:
                    return found
        for ext in _EXTS:
            if _join(base, "index" + ext) in self._files:
                return [_join(base, "index" + ext)]
        return []

    def _config(self, directory: str) -> TsConfig:
        conf = self._conf_by_dir.get(directory)
        if conf is None:
            for name in ("tsconfig.json", "jsconfig.json"):
                if _join(directory, name) in self._configs:
                    conf = load_tsconfig(self._root, _join(directory, name))
                    break
            else:
                parent = PurePosixPath(directory).parent.as_posix()
                conf = TsConfig() if directory in ("", ".") else self._config(_dot(parent))
            self._conf_by_dir[directory] = conf
        return conf


def _exports(value: Any, key: str) -> list[str]:
    if isinstance(value, dict) and any(str(k).startswith(".") for k in value):
        if key in value:
            return _conditions(value[key])
        out: list[str] = []
        for pattern, target in value.items():
            star = _match(str(pattern), key)
            if star is not None and "*" in str(pattern):
                out += [t.replace("*", star) for t in _conditions(target)]
        return out
    return _conditions(value) if key == "." else []


def _imports_targets(imports: Any, spec: str) -> list[str]:
    if not isinstance(imports, dict):
        return []
    if spec in imports:
        return _conditions(imports[spec])
    out: list[str] = []
    for pattern, target in imports.items():
        star = _match(str(pattern), spec)
        if star is not None and "*" in str(pattern):
            out += [t.replace("*", star) for t in _conditions(target)]
    return out


def _conditions(value: Any) -> list[str]:
    # Every condition branch (import, require, types, default...): the union is the safe answer.
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _conditions(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _conditions(v)]
    return []


def _match(pattern: str, spec: str) -> str | None:
    if "*" not in pattern:
        return "" if pattern == spec else None
    head, tail = pattern.split("*", 1)
    if spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(head) + len(tail):
        return spec[len(head) : len(spec) - len(tail)]
    return None


def _join(base: str, rel: str) -> str:
    parts: list[str] = [p for p in base.split("/") if p and p != "."]
    for part in rel.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def _dot(path: str) -> str:
    return "" if path == "." else path


def _under(path: str, directory: str) -> bool:
    return not directory or path.startswith(directory + "/")
