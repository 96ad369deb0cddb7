// One memory bound for every database in the process: a shared LRU block cache with a
// WriteBufferManager charged to it, so N instances in one container stay under one limit.
#pragma once

#include <napi.h>
#include <rocksdb/cache.h>
#include <rocksdb/write_buffer_manager.h>

#include <memory>

namespace rks {

struct MemoryBudget {
  std::shared_ptr<rocksdb::Cache> blockCache;
  std::shared_ptr<rocksdb::WriteBufferManager> writeBufferManager;
  size_t bytes = 0;
  double writeBufferRatio = 0;
};

// The budget in force (empty when none was set). Process-wide: shared by workers too.
MemoryBudget CurrentMemoryBudget();

// JS: memoryBudget({ bytes, writeBufferRatio }) sets it for databases opened afterwards
// and returns the budget in force; memoryBudget() only returns it; memoryBudget(null) clears it.
Napi::Value MemoryBudgetFunction(const Napi::CallbackInfo& info);

}  // namespace rks
