// One memory bound for every database in the process: a shared block cache (block_cache.h) with a
// WriteBufferManager charged to it, so N instances in one container stay under one limit.
// Everything RocksDB allocates per database that grows with the state or the number of column
// families is charged to that cache too (ApplyMemoryBudget): memtables, index and filter blocks,
// table readers, file metadata. What is left outside is a fixed overhead per database.
#pragma once

#include <napi.h>
#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/system_clock.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <memory>
#include <mutex>
#include <vector>

namespace rks {

// The clocks (ManualClock) of the databases opened under a budget, see MemoryBudget::clocks.
class BudgetClocks {
 public:
  void Keep(const std::shared_ptr<rocksdb::SystemClock>& clock);

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<rocksdb::SystemClock>> clocks_;
};

struct MemoryBudget {
  std::shared_ptr<rocksdb::Cache> blockCache;
  std::shared_ptr<rocksdb::WriteBufferManager> writeBufferManager;
  size_t bytes = 0;
  double writeBufferRatio = 0;
  // RocksDB keeps the collector of a cache's entry statistics in the cache, with the clock of the
  // database that first collected them (getProperty, the periodic stats dump), and every database
  // under the budget uses it after: a database's clock must outlive them all, not just its own.
  std::shared_ptr<BudgetClocks> clocks;
};

// Puts a database being opened under `budget` (no-op when it is empty): the shared cache for
// blocks, index and filter blocks and table readers, the shared write buffer manager.
void ApplyMemoryBudget(const MemoryBudget& budget, rocksdb::DBOptions* db, rocksdb::BlockBasedTableOptions* table);
// Sizes a column family's memtables to the budget (no-op when it is empty): every family
// allocates its memtable's bloom filter (a share of the memtable size) when it is created.
void ApplyMemoryBudget(const MemoryBudget& budget, rocksdb::ColumnFamilyOptions* family);

// The budget in force (empty when none was set). Process-wide: shared by workers too.
MemoryBudget CurrentMemoryBudget();

// JS: memoryBudget({ bytes, writeBufferRatio }) sets it for databases opened afterwards
// and returns the budget in force; memoryBudget() only returns it; memoryBudget(null) clears it.
Napi::Value MemoryBudgetFunction(const Napi::CallbackInfo& info);

}  // namespace rks
