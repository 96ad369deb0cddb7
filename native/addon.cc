// Module init: registers the classes and functions for this environment (main thread or
// worker; the addon is context-aware) and closes what is still open when it shuts down.
#include <napi.h>
#include <rocksdb/db.h>
#include <rocksdb/version.h>

#include <vector>

#include "addon.h"
#include "args.h"
#include "async.h"
#include "clock.h"
#include "compression.h"
#include "database.h"
#include "file_digest.h"
#include "file_lock.h"
#include "ingest_features.h"
#include "iterator.h"
#include "memory_budget.h"
#include "options_file_objects.h"
#include "snapshot.h"
#include "snapshot_stream.h"
#include "snappy_codec.h"
#include "sst_writer.h"

#ifndef RKS_ROCKSDB_BUILD
#define RKS_ROCKSDB_BUILD "system"
#endif

namespace rks {
namespace {

void CloseOpenDatabases(void* arg) {
  auto* data = static_cast<AddonData*>(arg);
  try {
    std::vector<Database*> open(data->openDatabases.begin(), data->openDatabases.end());
    for (Database* db : open) db->CloseNow();
    std::vector<FileLock*> held(data->heldLocks.begin(), data->heldLocks.end());
    for (FileLock* lock : held) lock->ReleaseNow();
  } catch (...) {
    // A C callback of Node: nothing may escape it, and at teardown nobody is left to tell.
  }
}

struct ListColumnFamiliesWork : WorkBase {
  std::string path;
  std::vector<std::string> names;
  rocksdb::Status Execute() { return rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names); }
  Napi::Value Result(Napi::Env env) {
    Napi::Array result = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) result.Set(uint32_t(i), names[i]);
    return result;
  }
};

Napi::Value ListColumnFamilies(const Napi::CallbackInfo& info) {
  ListColumnFamiliesWork work;
  work.path = StringArg(info[0], "path");
  return RunAsync(info.Env(), nullptr, Napi::Object::New(info.Env()), "rocksdb-keyed-state:listColumnFamilies",
                  std::move(work));
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) ThrowTypeError(info.Env(), "the error factory must be a function");
  AddonData::Of(info.Env())->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

std::string RocksDBVersion() {
  return std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." + std::to_string(ROCKSDB_PATCH);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  // Runs before the environment's remaining objects are finalized, so every DB is closed
  // while its iterators and snapshots can still be released in order, and then the file locks.
  napi_add_env_cleanup_hook(env, CloseOpenDatabases, data);
  RegisterOptionsFileObjects();

  Napi::Function iterator = Iterator::Init(env);
  Napi::Function snapshot = Snapshot::Init(env);
  Napi::Function sstWriter = SstWriter::Init(env);
  data->iteratorConstructor = Napi::Persistent(iterator);
  data->snapshotConstructor = Napi::Persistent(snapshot);
  data->sstWriterConstructor = Napi::Persistent(sstWriter);

  exports.Set("Database", Database::Init(env));
  exports.Set("Iterator", iterator);
  exports.Set("Snapshot", snapshot);
  exports.Set("SstWriter", sstWriter);
  exports.Set("SnapshotStream", SnapshotStream::Init(env));
  exports.Set("ManualClock", ManualClock::Init(env));
  exports.Set("FileLock", FileLock::Init(env));
  exports.Set("listColumnFamilies", Napi::Function::New<ListColumnFamilies>(env, "listColumnFamilies"));
  exports.Set("memoryBudget", Napi::Function::New<MemoryBudgetFunction>(env, "memoryBudget"));
  exports.Set("setErrorFactory", Napi::Function::New<SetErrorFactory>(env, "setErrorFactory"));
  exports.Set("zstdCompress", Napi::Function::New<ZstdCompress>(env, "zstdCompress"));
  exports.Set("zstdDecompress", Napi::Function::New<ZstdDecompress>(env, "zstdDecompress"));
  exports.Set("snappyCompress", Napi::Function::New<SnappyCompress>(env, "snappyCompress"));
  exports.Set("snappyDecompress", Napi::Function::New<SnappyDecompress>(env, "snappyDecompress"));
  if (CanHashFiles()) exports.Set("sha256File", Napi::Function::New<Sha256File>(env, "sha256File"));
  exports.Set("rocksdbVersion", RocksDBVersion());
  exports.Set("rocksdbBuild", RKS_ROCKSDB_BUILD);
  exports.Set("canIngestDbGeneratedFiles", Napi::Boolean::New(env, RKS_HAS_DB_GENERATED_INGEST));
  return exports;
}

}  // namespace
}  // namespace rks

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rks::Init(env, exports); }

NODE_API_MODULE(rocksdb_keyed_state, InitModule)
