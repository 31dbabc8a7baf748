#!/usr/bin/env bash
# Prepare what the container end-to-end tests need (tests/livepatch/test_docker_e2e.py):
# docker.io and debootstrap from apt, and the base image's root filesystem as a tarball in
# the user's cache ($XDG_CACHE_HOME/velocity/docker/bookworm-minbase-python3-rsync.tar, built
# once; velocity.testing.docker.base_tarball names and builds the same file).
# Idempotent. Never fails the build: when something cannot be done it says why and exits 0,
# and the tests then skip loudly with the engine's own error.
set -uo pipefail

say() { echo "docker-prepare: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "not root: skipping (the container tests need root to run dockerd)"
  exit 0
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get; install ${missing[*]} by hand"
    exit 0
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    say "apt-get install ${missing[*]} failed; the container tests will be skipped"
    exit 0
  fi
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/velocity/docker"
tarball="$cache/bookworm-minbase-python3-rsync.tar"
if [ -s "$tarball" ]; then
  exit 0
fi
mkdir -p "$cache" || { say "cannot create $cache"; exit 0; }
work="$(mktemp -d "$cache/build.XXXXXX")" || { say "cannot create a work dir in $cache"; exit 0; }
trap 'rm -rf "$work"' EXIT
say "building the base image root filesystem (debootstrap --variant=minbase bookworm, once)"
if ! debootstrap --variant=minbase --include=python3,rsync bookworm "$work/rootfs" >"$work/log" 2>&1; then
  say "debootstrap failed: $(tail -n 1 "$work/log")"
  exit 0
fi
if tar -C "$work/rootfs" -cf "$work/rootfs.tar" . && mv "$work/rootfs.tar" "$tarball"; then
  say "cached $tarball"
else
  say "could not write $tarball"
fi
exit 0
