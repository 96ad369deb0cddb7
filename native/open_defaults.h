// Sizes a database opened without a memory budget gets; bench/ceiling/ceiling.cc opens with
// the same ones, so that the ceiling measures what the addon does.
#pragma once

#include <cstddef>

namespace rks {

// RocksDB's own default (32 MiB) makes reads of a state larger than that mostly file reads:
// random gets of 1M keys (~120 MB of SST) ran 1.2-1.5x faster with 128 MiB than with 64 MiB in
// bench/ceiling (2026-12-07). Filled as blocks are read, but for a HyperClockCache's slot table
// (native/block_cache.h: 4 MiB of RSS per database at once); a memory budget replaces it.
inline constexpr size_t kDefaultBlockCacheBytes = 128 << 20;

// A memtable's skiplist is cheaper to insert into and search while it fits the CPU caches:
// at 8 MiB instead of RocksDB's 64 MiB, batched writes ran 1.6-2.2x and single puts 1.6x
// faster in bench/ceiling (300k and 1M keys), point reads and scans unchanged (2026-12-07).
// LevelDB's default is 4 MiB. `writeBufferBytes` sets it per database (KeyedStateBackend keeps
// RocksDB's 64 MiB); under a memory budget it is the most a family's share can be.
inline constexpr size_t kDefaultWriteBufferBytes = 8 << 20;
inline constexpr size_t kMinWriteBufferBytes = 64 << 10;  // what RocksDB sanitizes smaller sizes to
inline constexpr size_t kMaxWriteBufferBytes = size_t(1) << 30;

}  // namespace rks
