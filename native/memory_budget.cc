#include "memory_budget.h"

#include <mutex>

#include <rocksdb/version.h>
#if ROCKSDB_MAJOR >= 8
#include <rocksdb/advanced_cache.h>  // Cache's definition moved here in 8.x
#endif

#include "args.h"

namespace rks {

static std::mutex budgetMutex;
static MemoryBudget budget;

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
    if (!(ratio > 0 && ratio < 1)) throw Napi::RangeError::New(env, "writeBufferRatio must be between 0 and 1");
    next.bytes = size_t(bytes);
    next.writeBufferRatio = ratio;
    next.blockCache = rocksdb::NewLRUCache(next.bytes);
    next.writeBufferManager = std::make_shared<rocksdb::WriteBufferManager>(size_t(bytes * ratio), next.blockCache);
  }
  {
    std::lock_guard<std::mutex> lock(budgetMutex);
    budget = next;
  }
  return Describe(env, next);
}

}  // namespace rks
