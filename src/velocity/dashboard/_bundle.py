"""Fetch the dashboard's browser libraries from npm and copy them into ``static/vendor/``.

Run as ``python -m velocity.dashboard._bundle`` (or ``scripts/bundle-dashboard.sh``); the
hatch build hook (``hatch_build.py``) loads this file by path, so it uses the standard
library only and never imports the ``velocity`` package. ``npm ci`` runs in a temporary
directory on ``web/package.json`` and ``web/package-lock.json``; nothing is fetched at
run time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEB = HERE / "web"
VENDOR = HERE / "static" / "vendor"

#: node_modules path -> file name under static/vendor/.
FILES = {
    "cytoscape/dist/cytoscape.min.js": "cytoscape.min.js",
    "cytoscape/LICENSE": "cytoscape.LICENSE.txt",
}
_STAMP = ".lock-sha256"


class BundleError(RuntimeError):
    """npm is missing or failed; the message says what to do."""


def lock_digest(web: Path = WEB) -> str:
    return hashlib.sha256((web / "package-lock.json").read_bytes()).hexdigest()


def is_bundled(vendor: Path = VENDOR, web: Path = WEB) -> bool:
    """Whether every vendored file is there, made from the current lock file."""
    stamp = vendor / _STAMP
    if not stamp.is_file() or stamp.read_text().strip() != lock_digest(web):
        return False
    return all((vendor / name).is_file() for name in FILES.values())


def bundle(vendor: Path = VENDOR, web: Path = WEB, *, force: bool = False) -> list[Path]:
    """Run ``npm ci`` on the pinned lock file and copy :data:`FILES` into *vendor*."""
    if not force and is_bundled(vendor, web):
        return [vendor / name for name in FILES.values()]
    npm = shutil.which("npm")
    if npm is None:
        raise BundleError("npm not found: install Node.js and npm (apt-get install npm)")
    with tempfile.TemporaryDirectory(prefix="velocity-dashboard-npm-") as tmp:
        work = Path(tmp)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(web / name, work / name)
        argv = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:]
            raise BundleError(f"npm ci failed: {' '.join(last) or proc.returncode}")
        vendor.mkdir(parents=True, exist_ok=True)
        out = []
        for source, name in FILES.items():
            shutil.copyfile(work / "node_modules" / source, vendor / name)
            out.append(vendor / name)
    (vendor / _STAMP).write_text(lock_digest(web) + "\n")
    return out


def pinned_versions(web: Path = WEB) -> dict[str, str]:
    """Package -> version, as the lock file pins them."""
    lock = json.loads((web / "package-lock.json").read_text())
    return {
        key.removeprefix("node_modules/"): value["version"]
        for key, value in lock["packages"].items()
        if key.startswith("node_modules/")
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        files = bundle(force="--force" in args)
    except BundleError as exc:
        print(f"bundle-dashboard: error: {exc}", file=sys.stderr)
        return 2
    for path in files:
        print(path.relative_to(HERE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
