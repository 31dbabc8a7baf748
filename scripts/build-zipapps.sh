#!/usr/bin/env bash
# Single-file executables: dep-ci.pyz, livepatch.pyz and quantum.pyz, built with shiv from this
# checkout. Each runs with a plain `python3 NAME.pyz ...` (or ./NAME.pyz) on the OS, CPU and
# Python minor version that built it: numpy, grpcio and friends ship compiled code.
#
#   scripts/build-zipapps.sh [OUTDIR]      default OUTDIR: dist/zipapps
#   PYTHON=python3.12 scripts/build-zipapps.sh   the interpreter to build for (needs pip and shiv)
#
# Dependencies are installed once, pinned by constraints.txt, into one site-packages directory
# that every zipapp copies. --extend-pythonpath: the subprocesses a tool starts with its own
# interpreter (livepatch runs its local:// agent as `python -m velocity.livepatch.agent`) import
# from the zipapp too. shiv's build id is the hash of the contents, and --reproducible fixes the
# timestamps, so rebuilding the same checkout gives the same bytes.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/dist/zipapps}"
python="${PYTHON:-python3}"

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip install --quiet --no-compile --target "$work/site-packages" \
    --constraint "$repo/constraints.txt" "$repo"
# pip's generated launchers point at this machine's interpreter; shiv makes its own.
rm -rf "$work/site-packages/bin"

# The three compress in parallel (compression is most of shiv's time).
pids=()
for name in dep-ci livepatch quantum; do
    "$python" -m shiv --site-packages "$work/site-packages" --console-script "$name" \
        --output-file "$out/$name.pyz" --python "/usr/bin/env python3" \
        --extend-pythonpath --reproducible --compressed >/dev/null &
    pids+=("$!")
done
for pid in "${pids[@]}"; do
    wait "$pid"
done
ls -l "$out"/*.pyz
