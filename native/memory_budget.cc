#include "memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <mutex>

#include <rocksdb/version.h>
#if ROCKSDB_MAJOR >= 8
#include <rocksdb/advanced_cache.h>  // Cache's definition moved here in 8.x
#endif

#include "args.h"
#include "block_cache.h"

namespace rks {

static std::mutex budgetMutex;
static MemoryBudget budget;

// A column family's memtable is a quarter of the budget's write buffers, within 1 MiB and the
// database's own memtable size (`writeBufferBytes`): the write buffer manager flushes by the total. Every
// family allocates its memtable's first arena block and its bloom filter
// (memtable_prefix_bloom_size_ratio of the memtable) as soon as it exists, charged at once:
// RocksDB's 1 MiB arena blocks made each empty family cost 1.25 MiB of the budget, so blocks
// are 1/64 of the memtable here.
static constexpr size_t kMinWriteBuffer = 1 << 20;
static constexpr size_t kArenaBlocksPerWriteBuffer = 64;

// A HyperClockCache allocates its slot table, about 3% of its capacity, as it is made (a 64 GiB
// budget took 2 GiB at once): past the machine's memory that threw std::bad_alloc (2^53 bytes)
// or would run the process out of memory.
static double PhysicalMemoryBytes() {
  return double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
}

void ApplyMemoryBudget(const MemoryBudget& budget, rocksdb::DBOptions* db, rocksdb::BlockBasedTableOptions* table) {
  if (!budget.blockCache) return;
  db->write_buffer_manager = budget.writeBufferManager;
  table->block_cache = budget.blockCache;
  // Index and filter blocks in the cache (charged, evictable) instead of on the heap of each
  // table reader, where they grow with the state; L0's stay pinned, as RocksDB advises.
  table->cache_index_and_filter_blocks = true;
  table->cache_index_and_filter_blocks_with_high_priority = true;
  table->pin_l0_filter_and_index_blocks_in_cache = true;
  // What remains of the table readers, file metadata and filter construction is charged too.
  using rocksdb::CacheEntryRole;
  for (CacheEntryRole role :
       {CacheEntryRole::kBlockBasedTableReader, CacheEntryRole::kFileMetadata, CacheEntryRole::kFilterConstruction}) {
    table->cache_usage_options.options_overrides.insert({role, {rocksdb::CacheEntryRoleOptions::Decision::kEnabled}});
  }
}

void ApplyMemoryBudget(const MemoryBudget& budget, rocksdb::ColumnFamilyOptions* family) {
  if (!budget.blockCache) return;
  size_t share = budget.writeBufferManager->buffer_size() / 4;
  family->write_buffer_size = std::min(family->write_buffer_size, std::max(kMinWriteBuffer, share));
  family->arena_block_size = family->write_buffer_size / kArenaBlocksPerWriteBuffer;
}

void BudgetClocks::Keep(const std::shared_ptr<rocksdb::SystemClock>& clock) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (std::find(clocks_.begin(), clocks_.end(), clock) == clocks_.end()) clocks_.push_back(clock);
}

MemoryBudget CurrentMemoryBudget() {
  std::lock_guard<std::mutex> lock(budgetMutex);
  return budget;
}

static Napi::Value Describe(Napi::Env env, const MemoryBudget& current) {
  if (!current.blockCache) return env.Null();
  Napi::Object result = Napi::Object::New(env);
  result.Set("bytes", double(current.bytes));
  result.Set("writeBufferRatio", current.writeBufferRatio);
  result.Set("usage", double(current.blockCache->GetUsage()));
  return result;
}

Napi::Value MemoryBudgetFunction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() == 0 || info[0].IsUndefined()) return Describe(env, CurrentMemoryBudget());
  // Arguments are read (their getters run JS, which may call back in here) before locking.
  MemoryBudget next;
  if (!info[0].IsNull()) {
    Napi::Object options = ObjectArg(info[0], "options");
    double bytes = Int64Arg(options.Get("bytes"), "bytes");
    Napi::Value ratioValue = options.Get("writeBufferRatio");
    double ratio = ratioValue.IsUndefined() ? 0.5 : ratioValue.ToNumber().DoubleValue();
    if (bytes < (1 << 20)) throw Napi::RangeError::New(env, "memory budget bytes must be at least 1 MiB");
    if (bytes > PhysicalMemoryBytes()) {
      throw Napi::RangeError::New(env, "memory budget bytes must be at most the machine's memory");
    }
    if (!(ratio > 0 && ratio < 1)) throw Napi::RangeError::New(env, "writeBufferRatio must be between 0 and 1");
    next.bytes = size_t(bytes);
    next.writeBufferRatio = ratio;
    next.blockCache = NewBlockCache(next.bytes);
    next.writeBufferManager = std::make_shared<rocksdb::WriteBufferManager>(size_t(bytes * ratio), next.blockCache);
    next.clocks = std::make_shared<BudgetClocks>();
  }
  {
    std::lock_guard<std::mutex> lock(budgetMutex);
    budget = next;
  }
  return Describe(env, next);
}

}  // namespace rks
