#!/usr/bin/env bash
# `npm run test:asan`: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer
# (CMakeLists.txt option RKS_SANITIZE) into build-asan/, then runs test/native and
# test/reliability against it. node-gyp-build loads the addon from the directory that
# ROCKSDB_KEYED_STATE_PREBUILD names; child processes and workers inherit the environment.
# Only the addon is instrumented, so the ASan runtime is preloaded into every node process.
# Leak detection is off: Node itself does not free everything at exit; the leak tests of
# test/reliability measure growth instead.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

npx cmake-js compile --out build-asan/build --CDRKS_SANITIZE=ON

export ROCKSDB_KEYED_STATE_PREBUILD="$PWD/build-asan"
export LD_PRELOAD
LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
# allocator_may_return_null: a huge allocation throws std::bad_alloc, as it does without ASan
# (the binding must turn that into a JS error, and a test checks it does).
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# Refuse to report a clean run that did not use the sanitized addon.
loaded="$(node -p "require('node-gyp-build').resolve('.')")"
case "$loaded" in
  "$ROCKSDB_KEYED_STATE_PREBUILD"/*) echo "addon under test: $loaded" ;;
  *) echo "expected the sanitized addon, node-gyp-build resolved $loaded" >&2; exit 1 ;;
esac
# The dynamic section, not ldd: ldd lists the preloaded runtime for any library, and
# `ldd | grep -q` fails under pipefail when grep exits before ldd has written everything.
dynamic_section="$(readelf -d "$loaded")"
grep -q 'NEEDED.*libasan' <<<"$dynamic_section" || { echo "$loaded is not built with ASan" >&2; exit 1; }

status=0
# Instrumented code runs 2-5x slower: the per-test limit is raised from 60 s.
npx vitest run test/native test/reliability --testTimeout=300000 --outputFile.json=test-results/vitest-asan.json || status=$?
echo "ASan/UBSan build and run: $((SECONDS - start)) s"
exit "$status"
