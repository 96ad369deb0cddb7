#include "block_cache.h"

#include <mutex>
#include <vector>

#if ROCKSDB_MAJOR >= 8
#include <rocksdb/advanced_cache.h>  // Cache's definition moved here in 8.x
#endif

#include "open_defaults.h"

namespace rks {

static std::mutex idleMutex;
// Never destroyed: worker threads may still close databases while the process exits.
static auto* idleCaches = new std::vector<std::shared_ptr<rocksdb::Cache>>();

std::shared_ptr<rocksdb::Cache> AcquireDefaultBlockCache() {
  {
    std::lock_guard<std::mutex> lock(idleMutex);
    if (!idleCaches->empty()) {
      std::shared_ptr<rocksdb::Cache> cache = std::move(idleCaches->back());
      idleCaches->pop_back();
      return cache;
    }
  }
  return NewBlockCache(kDefaultBlockCacheBytes);
}

void ReleaseDefaultBlockCache(std::shared_ptr<rocksdb::Cache> cache) {
  if (!cache || cache.use_count() != 1) return;
  cache->EraseUnRefEntries();
  std::lock_guard<std::mutex> lock(idleMutex);
  if (idleCaches->size() < kMaxIdleBlockCaches) idleCaches->push_back(std::move(cache));
}

}  // namespace rks
