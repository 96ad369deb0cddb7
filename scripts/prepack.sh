#!/usr/bin/env bash
# npm's prepack (npm pack, npm publish): builds what the package ships, dist/ (the library, its
# ESM entry, the CLI and the compiled demo), after checking that the prebuilt binaries it promises
# are in prebuilds/: PREBUILD_PLATFORMS (default linux-x64; a release sets every platform the
# prebuild workflow makes). Without them the package would install but need a compiler and
# librocksdb on every user's machine, so it refuses.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for platform in ${PREBUILD_PLATFORMS:-linux-x64}; do
  compgen -G "prebuilds/$platform/*.node" >/dev/null || missing+=("$platform")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "prepack: refusing to pack: no prebuilt binary for ${missing[*]} in prebuilds/ (npm run prebuild makes linux-x64; a release gathers the prebuild workflow's artifacts)" >&2
  exit 1
fi
rm -rf dist
npm run --silent build:ts
