// The block cache every database gets: its own (no memory budget) or the budget's shared one.
// bench/ceiling/ceiling.cc makes its cache here too, so that the ceiling measures what the addon does.
#pragma once

#include <cstddef>
#include <memory>

#include <rocksdb/cache.h>
#include <rocksdb/version.h>

namespace rks {

// RocksDB's lock-free HyperClockCache where it is production-ready (8.x and later): the LRU
// cache takes a shard mutex and relinks its lists on every hit, which was a fifth of the time
// of random point reads at 1M keys; with this one they ran ~9% faster (2026-12-07). RocksDB
// advises the larger of block_size and metadata_block_size (both 4 KiB by default) as the
// estimated entry charge; its slot table, about 3% of the capacity, is charged to it from the start.
// RocksDB 7.8 (Debian's system build) had it only as an experiment: LRU there.
inline constexpr size_t kEstimatedBlockCharge = 4096;

inline std::shared_ptr<rocksdb::Cache> NewBlockCache(size_t capacity) {
#if ROCKSDB_MAJOR >= 8
  return rocksdb::HyperClockCacheOptions(capacity, kEstimatedBlockCharge).MakeSharedCache();
#else
  return rocksdb::NewLRUCache(capacity);
#endif
}

// A database's own cache (no memory budget), of kDefaultBlockCacheBytes. A HyperClockCache
// allocates its slot table (4 MiB) when made, and glibc kept most of each freed table in its
// heaps: 1,000 open/close cycles grew RSS by 363 MB. So a closed database hands its cache back
// (emptied of blocks) and the next open takes it; at most kMaxIdleBlockCaches wait, 4 MiB each.
inline constexpr size_t kMaxIdleBlockCaches = 4;
std::shared_ptr<rocksdb::Cache> AcquireDefaultBlockCache();
// Takes the cache back only when nothing else holds it.
void ReleaseDefaultBlockCache(std::shared_ptr<rocksdb::Cache> cache);

}  // namespace rks
