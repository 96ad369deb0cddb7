#!/usr/bin/env bash
# Builds the "bundled" RocksDB that release builds and prebuilds link statically:
# a pinned RocksDB 9.x plus the compression libraries it uses (snappy, lz4, zstd, zlib),
# all static, position independent (-fPIC), portable (no -march=native), release (-O3 -DNDEBUG).
#
# Sources are the upstream ("orig") tarballs from Debian's source archive, fetched through
# apt with a deb-src entry derived from this machine's own apt sources, into a private apt
# state (the system's apt configuration is not touched). Every tarball is checked against
# the SHA-256 pinned below. A machine without apt (macOS, musl, ...) can drop the tarballs
# with the same names into "$CACHE/downloads/" (e.g. upstream release tarballs repacked
# to match); they are still checked against the pins.
#
# Output: ${ROCKSDB_KEYED_STATE_CACHE:-$HOME/.cache/rocksdb-keyed-state}/rocksdb-<version>/
#   include/            rocksdb/ and the compression libraries' headers
#   lib/*.a             librocksdb.a libzstd.a liblz4.a libsnappy.a libz.a
#   bundle-info.cmake   facts for scripts/bundled-rocksdb.cmake (version, libatomic need)
#   .stamp              the recipe this was built from; a rerun with the same recipe exits at once
#
# Usage: scripts/build-bundled-rocksdb.sh [--force] [--print-dir]
#   --force      rebuild even when the stamp matches
#   --print-dir  print the output directory and exit (builds nothing)
# Environment: ROCKSDB_KEYED_STATE_CACHE (cache root), ROCKSDB_KEYED_STATE_JOBS (default 2),
#   ROCKSDB_KEYED_STATE_DEBIAN_SUITE (default trixie), ROCKSDB_KEYED_STATE_KEEP_WORK=1
#   (keep the build trees), CC/CXX/CFLAGS/CXXFLAGS (honoured, and part of the recipe).
set -euo pipefail

# ---- pins (scripts/bundled-rocksdb.cmake reads ROCKSDB_VERSION from the next line) ----
ROCKSDB_VERSION=9.10.0
#    name    debian source pkg  orig tarball                               sha256                                                            top dir
PINS=(
  "rocksdb rocksdb  rocksdb_9.10.0.orig.tar.gz                 fdccab16133c9d927a183c2648bcea8d956fb41eb1df2aacaa73eb0b95e43724 rocksdb-9.10.0"
  "snappy  snappy   snappy_1.2.2.orig.tar.gz                   90f74bc1fbf78a6c56b3c4a082a05103b3a56bb17bca1a27e052ea11723292dc snappy-1.2.2"
  "lz4     lz4      lz4_1.10.0.orig.tar.gz                     537512904744b35e232912055ccf8ec66d768639ff3abe5788d90d792ec5f48b lz4-1.10.0"
  "zstd    libzstd  libzstd_1.5.7+dfsg.orig.tar.xz             0c092ef267edce57ba7f3f2645c861f72eaf5e76273c6c3632869423464b90a5 zstd-1.5.7"
  "zlib    zlib     zlib_1.3.dfsg+really1.3.1.orig.tar.gz      60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb zlib-1.3.1"
)
# Bump when the build steps below change in a way the recipe string would not show.
RECIPE_REVISION=3

FORCE=0
PRINT_DIR=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --print-dir) PRINT_DIR=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

CACHE_ROOT="${ROCKSDB_KEYED_STATE_CACHE:-$HOME/.cache/rocksdb-keyed-state}"
OUT="$CACHE_ROOT/rocksdb-$ROCKSDB_VERSION"
if [ "$PRINT_DIR" = 1 ]; then echo "$OUT"; exit 0; fi

JOBS="${ROCKSDB_KEYED_STATE_JOBS:-2}"
SUITE="${ROCKSDB_KEYED_STATE_DEBIAN_SUITE:-trixie}"
DL="$CACHE_ROOT/downloads"
APTDIR="$CACHE_ROOT/apt"
WORK="$CACHE_ROOT/.work-rocksdb-$ROCKSDB_VERSION"
STAGE="$CACHE_ROOT/.stage-rocksdb-$ROCKSDB_VERSION"

T_START=$(date +%s)
T_STEP=$T_START
log() { echo "[bundled-rocksdb] $*"; }
die() { echo "[bundled-rocksdb] ERROR: $*" >&2; exit 1; }
step_done() {
  local now; now=$(date +%s)
  log "$(printf '%-34s %4ds  (total %ds)' "$1" $((now - T_STEP)) $((now - T_START)))"
  T_STEP=$now
}

# run LOG CMD...: run quietly into LOG; on failure show its tail and stop.
run() {
  local logfile=$1; shift
  "$@" >"$logfile" 2>&1 || { tail -n 60 "$logfile" >&2; die "failed: $* (log: $logfile)"; }
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# The recipe: everything that decides what ends up in $OUT. Same recipe => nothing to do.
recipe() {
  echo "recipe-revision=$RECIPE_REVISION"
  echo "rocksdb=$ROCKSDB_VERSION"
  local p; for p in "${PINS[@]}"; do echo "pin=$(echo $p)"; done
  echo "cc=${CC:-cc}: $("${CC:-cc}" --version 2>/dev/null | head -n1)"
  echo "cxx=${CXX:-c++}: $("${CXX:-c++}" --version 2>/dev/null | head -n1)"
  echo "cflags=${CFLAGS:-}"
  echo "cxxflags=${CXXFLAGS:-}"
  echo "arch=$(uname -s)-$(uname -m)"
}

# ---- fast path (no lock, no network, no apt) ----
if [ "$FORCE" = 0 ] && [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$(recipe)" ]; then
  log "up to date: $OUT ($(( $(date +%s) - T_START ))s)"
  exit 0
fi

mkdir -p "$CACHE_ROOT" "$DL"
# One build at a time per cache directory (CI and a developer may share it).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.lock"
  if ! flock -n 9; then
    log "another build holds $CACHE_ROOT/.lock; waiting"
    flock 9
  fi
  # The other build may have produced exactly what we want.
  if [ "$FORCE" = 0 ] && [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$(recipe)" ]; then
    log "up to date: $OUT"
    exit 0
  fi
fi

log "building RocksDB $ROCKSDB_VERSION (static, PIC, portable, release) into $OUT with -j$JOBS"

# ---- prerequisites ----
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "missing build tools ($*) and no apt-get: install them first"
  [ "$(id -u)" = 0 ] || die "missing build tools ($*): run as root or install them (apt-get install $*)"
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@"
}
missing=()
for pair in cmake:cmake ninja:ninja-build cc:gcc c++:g++ make:make tar:tar gzip:gzip xz:xz-utils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing missing prerequisites: ${missing[*]}"
  apt_install "${missing[@]}"
fi
step_done "prerequisites"

# ---- sources ----
# A private apt state holding only a deb-src entry for $SUITE, derived from this machine's
# own Debian sources (same mirror, same keyring); the system's apt state is left alone.
APT_READY=0
apt_opts=()
prepare_apt_sources() {
  [ "$APT_READY" = 1 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "no apt-get here: put the pinned tarballs into $DL (names and SHA-256 in $0)"
  mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
  local src="$APTDIR/sources.list.d/debian-src-$SUITE.sources"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # First deb822 stanza of the main archive (not -security), turned into deb-src for $SUITE.
    awk 'BEGIN { RS = ""; ORS = "\n" } /(^|\n)URIs:/ && !/security/ { print; exit }' \
        /etc/apt/sources.list.d/debian.sources \
      | sed -e 's/^Types:.*/Types: deb-src/' -e "s/^Suites:.*/Suites: $SUITE/" > "$src.tmp"
  elif [ -f /etc/apt/sources.list ]; then
    src="$APTDIR/sources.list.d/debian-src-$SUITE.list"
    awk -v suite="$SUITE" '$1 == "deb" && $0 !~ /security/ {
        i = 2; opts = ""; if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts $i " "; i++ } opts = opts $i " "; i++ }
        print "deb-src " opts $i " " suite " main"; exit }' /etc/apt/sources.list > "$src.tmp"
  else
    die "no Debian apt sources found to derive a deb-src entry from"
  fi
  [ -s "$src.tmp" ] || die "could not derive a deb-src entry from this machine's apt sources"
  mv "$src.tmp" "$src"
  APT_BASE_URI=$(awk '/^URIs:/ { print $2; exit } $1 == "deb-src" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' "$src")
  APT_BASE_URI="${APT_BASE_URI%/}"
  apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
            -o "Dir::State::Lists=$APTDIR/lists" -o "Dir::Cache=$APTDIR/cache"
            -o "Acquire::Languages=none" -o "DPkg::Lock::Timeout=600")
  [ "$(id -u)" = 0 ] && apt_opts+=(-o "APT::Sandbox::User=root")
  log "apt-get update (private state, deb-src $SUITE)"
  apt-get "${apt_opts[@]}" update -qq || die "apt-get update of the deb-src entry failed (see $src)"
  APT_READY=1
}

fetch_pin() { # name srcpkg file sha
  local name=$1 pkg=$2 file=$3 sha=$4
  if [ -f "$DL/$file" ] && [ "$(sha256_of "$DL/$file")" = "$sha" ]; then return 0; fi
  rm -f "$DL/$file"
  prepare_apt_sources
  # The source record that lists our tarball, its pool directory, and the archive's own hash.
  local record dir
  record=$(apt-cache "${apt_opts[@]}" showsrc "$pkg" 2>/dev/null \
    | awk -v f="$file" 'BEGIN { RS = ""; ORS = "\n\n" } index($0 "\n", " " f "\n") { print; exit }')
  [ -n "$record" ] || die "Debian $SUITE no longer carries $file (source package $pkg): update the pin in $0"
  dir=$(printf '%s\n' "$record" | awk '/^Directory:/ { print $2; exit }')
  printf '%s\n' "$record" | grep -q "^ $sha [0-9]* $file\$" \
    || die "Debian's index lists $file with a SHA-256 other than the pinned $sha"
  log "fetching $file"
  /usr/lib/apt/apt-helper "${apt_opts[@]}" download-file "$APT_BASE_URI/$dir/$file" "$DL/$file.part" "SHA256:$sha" >/dev/null \
    || die "download of $APT_BASE_URI/$dir/$file failed"
  mv "$DL/$file.part" "$DL/$file"
}

for p in "${PINS[@]}"; do
  read -r name pkg file sha top <<<"$p"
  fetch_pin "$name" "$pkg" "$file" "$sha"
  got=$(sha256_of "$DL/$file")
  [ "$got" = "$sha" ] || die "SHA-256 mismatch for $file: got $got, pinned $sha"
done
log "all $((${#PINS[@]})) tarballs present and match their pinned SHA-256"
step_done "fetch + verify sources"

rm -rf "$WORK" "$STAGE"
mkdir -p "$WORK/src" "$WORK/prefix/include" "$WORK/prefix/lib"
for p in "${PINS[@]}"; do
  read -r name pkg file sha top <<<"$p"
  tar -xf "$DL/$file" -C "$WORK/src"
  [ -d "$WORK/src/$top" ] || die "$file did not unpack to $top"
  eval "SRC_$name=\$WORK/src/\$top"
done
step_done "unpack"

PREFIX="$WORK/prefix"
cmake_common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON
              -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF)

# ---- zlib (its configure; the CMake build always adds a shared library) ----
(
  cd "$SRC_zlib"
  CFLAGS="-O3 -fPIC -DNDEBUG ${CFLAGS:-}" run "$WORK/zlib-configure.log" ./configure --static --prefix="$PREFIX"
  run "$WORK/zlib-build.log" make -j"$JOBS" libz.a
  cp zlib.h zconf.h "$PREFIX/include/"
  cp libz.a "$PREFIX/lib/"
)
step_done "zlib"

# ---- snappy ----
run "$WORK/snappy-configure.log" cmake -S "$SRC_snappy" -B "$WORK/build-snappy" "${cmake_common[@]}" \
  -DSNAPPY_BUILD_TESTS=OFF -DSNAPPY_BUILD_BENCHMARKS=OFF -DSNAPPY_INSTALL=ON
run "$WORK/snappy-build.log" cmake --build "$WORK/build-snappy" -j "$JOBS"
run "$WORK/snappy-install.log" cmake --install "$WORK/build-snappy"
step_done "snappy"

# ---- lz4 ----
run "$WORK/lz4-configure.log" cmake -S "$SRC_lz4/build/cmake" -B "$WORK/build-lz4" "${cmake_common[@]}" \
  -DBUILD_STATIC_LIBS=ON -DLZ4_BUILD_CLI=OFF -DLZ4_BUILD_LEGACY_LZ4C=OFF -DLZ4_POSITION_INDEPENDENT_LIB=ON
run "$WORK/lz4-build.log" cmake --build "$WORK/build-lz4" -j "$JOBS"
run "$WORK/lz4-install.log" cmake --install "$WORK/build-lz4"
step_done "lz4"

# ---- zstd ----
# ZSTD_TRACE=0: no weak ZSTD_trace_* hooks, which would stay as undefined dynamic symbols of the
# addon and could bind to whatever the host process defines under those names.
run "$WORK/zstd-configure.log" cmake -S "$SRC_zstd/build/cmake" -B "$WORK/build-zstd" "${cmake_common[@]}" \
  -DZSTD_BUILD_STATIC=ON -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF \
  -DZSTD_BUILD_CONTRIB=OFF -DZSTD_LEGACY_SUPPORT=OFF -DZSTD_MULTITHREAD_SUPPORT=ON \
  -DCMAKE_C_FLAGS="${CFLAGS:-} -DZSTD_TRACE=0"
run "$WORK/zstd-build.log" cmake --build "$WORK/build-zstd" -j "$JOBS"
run "$WORK/zstd-install.log" cmake --install "$WORK/build-zstd"
step_done "zstd"

for lib in libz.a libsnappy.a liblz4.a libzstd.a; do
  [ -f "$PREFIX/lib/$lib" ] || die "$lib was not built"
done

# ---- RocksDB ----
# Compression libraries are named explicitly so that Debian's (non-PIC) ones can never be picked.
# NPERF_CONTEXT / NIOSTATS_CONTEXT compile out RocksDB's per-thread perf and I/O counters, which
# nothing here reads: in an addon loaded with dlopen every access to that thread-local state is a
# __tls_get_addr call, and a point read makes dozens (get at 1M keys ran ~5% faster without them).
ROCKSDB_CXX_DEFINES="-DNPERF_CONTEXT -DNIOSTATS_CONTEXT"
run "$WORK/rocksdb-configure.log" cmake -S "$SRC_rocksdb" -B "$WORK/build-rocksdb" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DPORTABLE=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DCMAKE_CXX_FLAGS="${CXXFLAGS:-} $ROCKSDB_CXX_DEFINES" \
  -DFAIL_ON_WARNINGS=OFF -DWITH_TESTS=OFF -DWITH_TOOLS=OFF -DWITH_BENCHMARK_TOOLS=OFF \
  -DWITH_CORE_TOOLS=OFF -DWITH_TRACE_TOOLS=OFF -DWITH_ALL_TESTS=OFF -DWITH_EXAMPLES=OFF -DWITH_BENCHMARK=OFF \
  -DWITH_GFLAGS=OFF -DROCKSDB_BUILD_SHARED=OFF -DUSE_RTTI=ON -DWITH_JNI=OFF \
  -DWITH_LIBURING=OFF -DWITH_JEMALLOC=OFF -DWITH_NUMA=OFF -DWITH_TBB=OFF -DWITH_BZ2=OFF \
  -DWITH_SNAPPY=ON -DWITH_LZ4=ON -DWITH_ZSTD=ON -DWITH_ZLIB=ON \
  -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DSnappy_DIR="$PREFIX/lib/cmake/Snappy" \
  -Dlz4_INCLUDE_DIRS="$PREFIX/include" -Dlz4_LIBRARIES="$PREFIX/lib/liblz4.a" \
  -DZSTD_INCLUDE_DIRS="$PREFIX/include" -DZSTD_LIBRARIES="$PREFIX/lib/libzstd.a" \
  -DZLIB_INCLUDE_DIR="$PREFIX/include" -DZLIB_LIBRARY="$PREFIX/lib/libz.a" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
step_done "rocksdb configure"

# Guard the release/portable promises before spending minutes compiling.
cc_db="$WORK/build-rocksdb/compile_commands.json"
grep -q -- '-DNDEBUG' "$cc_db" || die "RocksDB compile flags lack -DNDEBUG"
grep -q -- '-DNPERF_CONTEXT -DNIOSTATS_CONTEXT' "$cc_db" || die "RocksDB compile flags lack $ROCKSDB_CXX_DEFINES"
! grep -q -- '-march=native' "$cc_db" || die "RocksDB compile flags contain -march=native"
grep -q -- '-DROCKSDB_USE_RTTI' "$cc_db" || die "RocksDB compile flags lack RTTI"
! grep -q -- '-fno-rtti' "$cc_db" || die "RocksDB compile flags contain -fno-rtti"
if grep -E '(/usr|/opt/homebrew|/usr/local)[^ ]*(snappy|lz4|zstd|libz)[^ ]*\.(a|so|dylib)' "$WORK/build-rocksdb/CMakeCache.txt" >/dev/null; then
  die "RocksDB picked up a system compression library (see $WORK/build-rocksdb/CMakeCache.txt)"
fi

log "compiling RocksDB (ninja -j$JOBS rocksdb; about 15 min of 2 idle cores, more when they are busy; log: $WORK/rocksdb-build.log)"
run "$WORK/rocksdb-build.log" ninja -C "$WORK/build-rocksdb" -j "$JOBS" rocksdb
step_done "rocksdb compile"

# ---- assemble ----
mkdir -p "$STAGE/include" "$STAGE/lib"
cp -R "$SRC_rocksdb/include/rocksdb" "$STAGE/include/"
cp "$PREFIX"/include/*.h "$STAGE/include/"
cp "$WORK/build-rocksdb/librocksdb.a" "$PREFIX"/lib/{libzstd.a,liblz4.a,libsnappy.a,libz.a} "$STAGE/lib/"
needs_atomic=OFF
grep -q '^BUILTIN_ATOMIC:INTERNAL=1' "$WORK/build-rocksdb/CMakeCache.txt" || needs_atomic=ON
cat >"$STAGE/bundle-info.cmake" <<EOF
# Written by scripts/build-bundled-rocksdb.sh; read by scripts/bundled-rocksdb.cmake.
set(ROCKSDB_BUNDLED_VERSION "$ROCKSDB_VERSION")
set(ROCKSDB_BUNDLED_NEEDS_ATOMIC $needs_atomic)
set(ROCKSDB_BUNDLED_LIBS rocksdb zstd lz4 snappy z)
EOF
for p in "${PINS[@]}"; do
  read -r name pkg file sha top <<<"$p"
  mkdir -p "$STAGE/licenses/$name"
  for f in LICENSE LICENSE.txt COPYING LICENSE.Apache LICENSE.leveldb COPYING.GPLv2; do
    [ -f "$WORK/src/$top/$f" ] && cp "$WORK/src/$top/$f" "$STAGE/licenses/$name/" || true
  done
done
recipe >"$STAGE/.stamp"
rm -rf "$OUT"
mv "$STAGE" "$OUT"
if [ "${ROCKSDB_KEYED_STATE_KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK"; fi
step_done "install"

log "done: $OUT"
( cd "$OUT/lib" && ls -l ./*.a | awk '{ printf "[bundled-rocksdb]   %-14s %6.1f MB\n", $NF, $5 / 1048576 }' )
log "total $(( $(date +%s) - T_START ))s"
