// Writes a sorted run of entries into an SST file that ingest() can add to a column
// family without going through the memtable: the fast path for restoring and rescaling.
#pragma once

#include <napi.h>
#include <rocksdb/sst_file_writer.h>

#include <memory>

#include "database.h"
#include "resource.h"

namespace rks {

class SstWriter : public Napi::ObjectWrap<SstWriter>, public Resource {
 public:
  static constexpr napi_type_tag kTypeTag = {0x5f60718293a4b5c6, 0xd7e8f90a1b2c3d4e};
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Create(Napi::Env env, Database* db, FamilyUse family);
  explicit SstWriter(const Napi::CallbackInfo& info);
  ~SstWriter() override;

  void ReleaseResource() override;
  rocksdb::SstFileWriter* writer() { return writer_.get(); }
  void FinishDone() { finishing_ = false; ReleaseResource(); }

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value PutBatch(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void CheckUsable(Napi::Env env) const;

  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  FamilyUse family_;  // the writer keeps the handle: a drop must not destroy it meanwhile
  bool opened_ = false, finishing_ = false;
};

}  // namespace rks
