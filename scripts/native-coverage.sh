#!/usr/bin/env bash
# Line coverage of the C++ addon under test/native: a --coverage build in build-coverage/ (the
# development build in build/ stays as it is), loaded through node-gyp-build's
# ROCKSDB_KEYED_STATE_PREBUILD and summarized by gcovr. Results: test-results/coverage-native/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=test-results/coverage-native
# -O0 keeps lines apart; atomic counters because the addon counts on several threads.
npx cmake-js compile --out build-coverage/build --debug \
  "--CDCMAKE_CXX_FLAGS_DEBUG=-g -O0 --coverage -fprofile-update=atomic" --CDCMAKE_SHARED_LINKER_FLAGS=--coverage >/dev/null
find build-coverage -name '*.gcda' -delete
mkdir -p "$out"
status=0
# One process, test files one at a time in its worker threads: the counters are written when
# that process exits. (Vitest ends forks with a signal, and a killed fork writes none.)
ROCKSDB_KEYED_STATE_PREBUILD=$PWD/build-coverage npx vitest run test/native --pool=threads --no-file-parallelism \
  --reporter=dot --reporter=json --outputFile.json="$out/vitest.json" || status=1
gcovr --root . --filter 'native/' --object-directory build-coverage/build --print-summary --txt "$out/summary.txt" \
  --json-summary "$out/summary.json" | tail -3
exit $status
