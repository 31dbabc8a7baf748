#!/usr/bin/env bash
# Install the system programs the test suite starts for real (redis-server, sshd,
# rsync, git, chromium) and npm, which bundles the dashboard's cytoscape. As root,
# missing ones come from apt-get; otherwise we say what to install and fail, because
# the suite never skips a real-component test.
set -euo pipefail

# program -> Debian package
declare -A PACKAGES=(
  [git]=git
  [redis-server]=redis-server
  [sshd]=openssh-server
  [ssh-keygen]=openssh-client
  [rsync]=rsync
  [chromium]=chromium
  [npm]=npm
)

find_program() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing=()
for program in "${!PACKAGES[@]}"; do
  find_program "$program" || missing+=("${PACKAGES[$program]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Unique package names, stable order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ]; then
  echo "make test needs these system packages: ${missing[*]}" >&2
  echo "install them, e.g.: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "make test needs: ${missing[*]} (no apt-get here; install them with your package manager)" >&2
  exit 1
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
