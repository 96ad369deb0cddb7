# Links ${PROJECT_NAME} against the bundled RocksDB: the static, PIC, portable, release build
# (plus static snappy, lz4, zstd, zlib) that scripts/build-bundled-rocksdb.sh leaves in its cache.
# Included by CMakeLists.txt when configured with -DROCKSDB_BUILD=bundled
# (cmake-js: `npx cmake-js compile --out build-bundled --CDROCKSDB_BUILD=bundled`).
#
# Where the build is looked for, first match wins:
#   -DROCKSDB_BUNDLED_DIR=<dir>          (a rocksdb-<version> directory made by the script)
#   $ROCKSDB_BUNDLED_DIR                 (same, from the environment)
#   ${ROCKSDB_KEYED_STATE_CACHE:-$HOME/.cache/rocksdb-keyed-state}/rocksdb-<pinned version>
# The pinned version is read from the script itself (its ROCKSDB_VERSION= line), so the pin lives
# in one place.

file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/build-bundled-rocksdb.sh" _rks_pin_line
  REGEX "^ROCKSDB_VERSION=[0-9]" LIMIT_COUNT 1)
string(REGEX REPLACE "^ROCKSDB_VERSION=([0-9.]+).*$" "\\1" ROCKSDB_BUNDLED_PINNED_VERSION "${_rks_pin_line}")
if(NOT ROCKSDB_BUNDLED_PINNED_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  message(FATAL_ERROR "Could not read ROCKSDB_VERSION from scripts/build-bundled-rocksdb.sh")
endif()

if(DEFINED ROCKSDB_BUNDLED_DIR AND NOT ROCKSDB_BUNDLED_DIR STREQUAL "")
  set(_rks_dir "${ROCKSDB_BUNDLED_DIR}")
elseif(DEFINED ENV{ROCKSDB_BUNDLED_DIR} AND NOT "$ENV{ROCKSDB_BUNDLED_DIR}" STREQUAL "")
  set(_rks_dir "$ENV{ROCKSDB_BUNDLED_DIR}")
else()
  if(DEFINED ENV{ROCKSDB_KEYED_STATE_CACHE} AND NOT "$ENV{ROCKSDB_KEYED_STATE_CACHE}" STREQUAL "")
    set(_rks_cache "$ENV{ROCKSDB_KEYED_STATE_CACHE}")
  else()
    set(_rks_cache "$ENV{HOME}/.cache/rocksdb-keyed-state")
  endif()
  set(_rks_dir "${_rks_cache}/rocksdb-${ROCKSDB_BUNDLED_PINNED_VERSION}")
endif()

set(_rks_libs rocksdb zstd lz4 snappy z)   # link order: RocksDB first, then what it uses
set(_rks_missing "")
foreach(_f .stamp bundle-info.cmake include/rocksdb/version.h)
  if(NOT EXISTS "${_rks_dir}/${_f}")
    list(APPEND _rks_missing "${_f}")
  endif()
endforeach()
foreach(_l IN LISTS _rks_libs)
  if(NOT EXISTS "${_rks_dir}/lib/lib${_l}.a")
    list(APPEND _rks_missing "lib/lib${_l}.a")
  endif()
endforeach()
if(_rks_missing)
  list(JOIN _rks_missing ", " _rks_missing)
  message(FATAL_ERROR
    "Bundled RocksDB ${ROCKSDB_BUNDLED_PINNED_VERSION} not found (or incomplete) in\n"
    "  ${_rks_dir}\n"
    "(missing: ${_rks_missing}).\n"
    "Build it first with:\n"
    "  bash scripts/build-bundled-rocksdb.sh\n"
    "(about 15 minutes on 2 idle cores the first time, well under a second once cached), or point "
    "ROCKSDB_BUNDLED_DIR / ROCKSDB_KEYED_STATE_CACHE at an existing build.")
endif()

include("${_rks_dir}/bundle-info.cmake")
if(NOT ROCKSDB_BUNDLED_VERSION STREQUAL ROCKSDB_BUNDLED_PINNED_VERSION)
  message(WARNING "Bundled RocksDB in ${_rks_dir} is ${ROCKSDB_BUNDLED_VERSION}; "
    "scripts/build-bundled-rocksdb.sh pins ${ROCKSDB_BUNDLED_PINNED_VERSION}")
endif()
message(STATUS "RocksDB: bundled ${ROCKSDB_BUNDLED_VERSION} (static) from ${_rks_dir}")

# BEFORE: the bundled headers must win over Debian's /usr/include/rocksdb (7.8) if installed.
target_include_directories(${PROJECT_NAME} BEFORE PRIVATE "${_rks_dir}/include")

set(_rks_lib_files "")
foreach(_l IN LISTS _rks_libs)
  list(APPEND _rks_lib_files "${_rks_dir}/lib/lib${_l}.a")
endforeach()
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
target_link_libraries(${PROJECT_NAME} PRIVATE ${_rks_lib_files} Threads::Threads ${CMAKE_DL_LIBS})

# Some targets (not x86_64/arm64 glibc) need libatomic for 64-bit atomics: link it statically so
# the addon does not depend on libatomic.so at load time.
if(ROCKSDB_BUNDLED_NEEDS_ATOMIC)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libatomic.a
    OUTPUT_VARIABLE _rks_atomic OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(IS_ABSOLUTE "${_rks_atomic}" AND EXISTS "${_rks_atomic}")
    target_link_libraries(${PROJECT_NAME} PRIVATE "${_rks_atomic}")
  else()
    target_link_libraries(${PROJECT_NAME} PRIVATE atomic)
  endif()
endif()

# Keep every symbol of the static libraries private to the addon. Node itself exports zlib's
# symbols (deflate, inflate, crc32, ...; newer Node versions zstd's too) and other addons in the
# same process may carry their own RocksDB: without this, calls from our copy could bind to
# theirs at load time. It also keeps the dynamic symbol table small.
if(NOT APPLE)
  target_link_options(${PROJECT_NAME} PRIVATE "LINKER:--exclude-libs,ALL")
endif()
