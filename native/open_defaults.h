// Sizes a database opened without a memory budget gets; bench/ceiling/ceiling.cc opens with
// the same ones, so that the ceiling measures what the addon does.
#pragma once

#include <cstddef>

namespace rks {

// RocksDB's default 8 MiB cache makes reads of a state larger than that mostly disk reads.
inline constexpr size_t kDefaultBlockCacheBytes = 64 << 20;

// A memtable's skiplist is cheaper to insert into and search while it fits the CPU caches:
// at 8 MiB instead of RocksDB's 64 MiB, batched writes ran 1.6-2.2x and single puts 1.6x
// faster in bench/ceiling (300k and 1M keys), point reads and scans unchanged (2026-12-07).
// LevelDB's default is 4 MiB. Also the largest memtable a memory budget gives a family.
inline constexpr size_t kMaxWriteBufferBytes = 8 << 20;

}  // namespace rks
