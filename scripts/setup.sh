#!/usr/bin/env bash
# Installs what the project needs on a Debian machine and builds it. Safe to run again:
# each step is skipped when already done. `setup.sh demo` leaves out what only the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
pkg-config --exists rocksdb 2>/dev/null || missing+=(librocksdb-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
# The report's browser test renders it in headless Chromium; the demo does not need it.
[ "${1:-test}" = demo ] || command -v chromium >/dev/null || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]} (Debian packages)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file. --ignore-scripts: the
# package's own install script (node-gyp-build) is for users; here we build with cmake-js.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

# cmake-js rebuilds only what changed.
npm run --silent build:native >/dev/null
