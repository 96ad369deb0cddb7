// A batch of writes built up from JS and applied atomically in one native call.
#pragma once

#include <napi.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <unordered_set>

#include "resource.h"

namespace rks {

class Database;
struct ColumnFamily;

class WriteBatch : public Napi::ObjectWrap<WriteBatch>, public Resource {
 public:
  static constexpr napi_type_tag kTypeTag = {0x4e5f607182938495, 0xc6d7e8f90a1b2c3d};
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Create(Napi::Env env, Database* db);
  explicit WriteBatch(const Napi::CallbackInfo& info);
  ~WriteBatch() override;

  // The batch to write to `db`; throws unless it is open, was made by `db` and holds no
  // writes for a column family dropped since (RocksDB would fail the write midway, and
  // then refuse every later one).
  rocksdb::WriteBatch* BatchOn(Napi::Env env, const Database* db);
  void ReleaseResource() override;

 private:
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value PutRaw(const Napi::CallbackInfo& info);
  Napi::Value Merge(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value DeleteRange(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Count(const Napi::CallbackInfo& info);
  Napi::Value ByteSize(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Append(const Napi::CallbackInfo& info, bool merge, bool raw);
  void CheckUsable(Napi::Env env) const;
  const ColumnFamily& FamilyArg(const Napi::Value& value);

  rocksdb::WriteBatch batch_;
  std::unordered_set<uint32_t> families_;  // ids of the column families written to
};

}  // namespace rks
