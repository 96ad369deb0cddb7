// A consistent read view. Shared with the iterators reading through it, so RocksDB's
// snapshot is released only when the last of them lets go.
#pragma once

#include <napi.h>
#include <rocksdb/db.h>

#include <memory>

#include "resource.h"

namespace rks {

class Database;

class Snapshot : public Napi::ObjectWrap<Snapshot>, public Resource {
 public:
  static constexpr napi_type_tag kTypeTag = {0x2c3d4e5f60718293, 0xa4b5c6d7e8f90a1b};
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Create(Napi::Env env, Database* db);
  explicit Snapshot(const Napi::CallbackInfo& info);
  ~Snapshot() override;

  const rocksdb::Snapshot* get() const { return snapshot_.get(); }
  const std::shared_ptr<const rocksdb::Snapshot>& shared() const { return snapshot_; }
  // Throws unless this snapshot is still held and was taken on `db`.
  void CheckUsableOn(Napi::Env env, const Database* db) const;
  void ReleaseResource() override;

 private:
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value SequenceNumber(const Napi::CallbackInfo& info);

  std::shared_ptr<const rocksdb::Snapshot> snapshot_;
};

}  // namespace rks
