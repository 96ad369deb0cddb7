#!/usr/bin/env bash
# npm run prebuild: the self-contained binary users install, prebuilds/<platform>-<arch>/*.node,
# made by prebuildify (--napi --strip: one binary for every Node version with N-API 8) from
# binding.gyp against the bundled static release build of RocksDB.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/build-bundled-rocksdb.sh

# prebuildify runs `node-gyp rebuild` in its working directory, which would replace the
# development build in build/: stage the sources elsewhere.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r binding.gyp package.json native "$stage/"
mkdir -p "$stage/scripts"
cp scripts/build-bundled-rocksdb.sh "$stage/scripts/"
ln -s "$root/node_modules" "$stage/node_modules"

node_gyp=${PREBUILD_NODE_GYP:-$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js}
rm -rf prebuilds
# Linux: the file name carries the libc (glibc, musl), so a release holds both side by side.
libc_tag=
if [ "$(uname -s)" = Linux ]; then libc_tag=--tag-libc; fi
ROCKSDB_BUILD=bundled PREBUILD_NODE_GYP="$node_gyp" npx prebuildify --napi --strip $libc_tag --cwd "$stage" --out "$root"
ls -l prebuilds/*/
