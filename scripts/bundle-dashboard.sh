#!/usr/bin/env bash
# Vendor the dashboard's browser libraries (cytoscape) from npm into
# src/velocity/dashboard/static/vendor/, as pinned by src/velocity/dashboard/web/package-lock.json.
# Wheels get them through the hatch build hook (hatch_build.py); this is for a source checkout.
# Needs npm; pass --force to fetch again even when the vendored files match the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" src/velocity/dashboard/_bundle.py "$@"
