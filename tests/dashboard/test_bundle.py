"""The vendored browser library: pinned, fetched by npm at build time, never from a CDN."""

from __future__ import annotations

import json
import re
from pathlib import Path

from velocity.dashboard import _bundle

ROOT = Path(__file__).resolve().parents[2]


def test_the_lock_pins_versions_and_records_no_download_urls():
    lock_text = (_bundle.WEB / "package-lock.json").read_text()
    assert "resolved" not in lock_text
    assert "://" not in lock_text
    package = json.loads((_bundle.WEB / "package.json").read_text())
    pinned = _bundle.pinned_versions()
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)
        assert pinned[name] == version
    assert all(integrity for integrity in re.findall(r'"integrity": "(sha512-[^"]+)"', lock_text))


def test_bundled_files_are_in_place_and_git_ignored():
    assert _bundle.is_bundled()
    assert (_bundle.VENDOR / "cytoscape.min.js").read_bytes().startswith(b"/**")
    assert "src/velocity/dashboard/static/vendor/" in (ROOT / ".gitignore").read_text()


def test_pages_load_scripts_from_the_package_only():
    static = Path(_bundle.HERE) / "static"
    for script in static.glob("*.js"):
        assert "http" not in script.read_text(), script.name
    assert "http" not in (static / "dashboard.css").read_text()


def test_a_stale_stamp_means_not_bundled(tmp_path: Path):
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    for name in _bundle.FILES.values():
        (vendor / name).write_text("x")
    assert not _bundle.is_bundled(vendor)
    (vendor / ".lock-sha256").write_text(_bundle.lock_digest() + "\n")
    assert _bundle.is_bundled(vendor)
    (vendor / ".lock-sha256").write_text("0" * 64 + "\n")
    assert not _bundle.is_bundled(vendor)
