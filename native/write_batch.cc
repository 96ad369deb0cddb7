#include "write_batch.h"

#include "addon.h"
#include "args.h"
#include "database.h"
#include "errors.h"
#include "ttl_value.h"

namespace rks {

Napi::Function WriteBatch::Init(Napi::Env env) {
  return DefineClass(env, "WriteBatch",
                     {
                         InstanceMethod<&WriteBatch::Put>("put"),
                         InstanceMethod<&WriteBatch::PutRaw>("putRaw"),
                         InstanceMethod<&WriteBatch::Merge>("merge"),
                         InstanceMethod<&WriteBatch::Delete>("delete"),
                         InstanceMethod<&WriteBatch::DeleteRange>("deleteRange"),
                         InstanceMethod<&WriteBatch::Clear>("clear"),
                         InstanceMethod<&WriteBatch::Count>("count"),
                         InstanceMethod<&WriteBatch::ByteSize>("byteSize"),
                         InstanceMethod<&WriteBatch::Close>("close"),
                     });
}

WriteBatch::WriteBatch(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
}

WriteBatch::~WriteBatch() { ReleaseResource(); }

Napi::Object WriteBatch::Create(Napi::Env env, Database* db) {
  Napi::Object object = AddonData::Of(env)->writeBatchConstructor.New({});
  WriteBatch* batch = Unwrap(object);
  batch->AttachTo(db);
  return object;
}

void WriteBatch::ReleaseResource() {
  if (!DetachFromDatabase()) return;
  batch_.Clear();
  families_.clear();
}

void WriteBatch::CheckUsable(Napi::Env env) const {
  if (db_ == nullptr) ThrowClosed(env, "WriteBatch");
  db_->CheckOpen(env);
}

rocksdb::WriteBatch* WriteBatch::BatchOn(Napi::Env env, const Database* db) {
  CheckUsable(env);
  if (db_ != db) throw MakeError(env, "InvalidArgument", "the batch belongs to another database");
  for (uint32_t id : families_) {
    if (!db->IsLive(id)) {
      throw MakeError(env, "ColumnFamilyNotFound",
                      "the batch holds writes for column family " + std::to_string(id) + ", dropped since");
    }
  }
  return &batch_;
}

const ColumnFamily& WriteBatch::FamilyArg(const Napi::Value& value) {
  const ColumnFamily& family = db_->ColumnFamilyArg(value);
  families_.insert(value.As<Napi::Number>().Uint32Value());
  return family;
}

// Values get their write time now, when they are added (DBWithTTL stamps them when written).
Napi::Value WriteBatch::Append(const Napi::CallbackInfo& info, bool merge, bool raw) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  const ColumnFamily& family = FamilyArg(info[0]);
  rocksdb::Slice key = BytesArg(info[1], "key");
  rocksdb::Slice value = BytesArg(info[2], "value");
  int64_t writeTime = db_->WriteTime(env, family, value, raw);
  CheckStatus(env, AddStampedWrite(batch_, family.handle, key, value, merge, raw, writeTime));
  return info.This();
}

Napi::Value WriteBatch::Put(const Napi::CallbackInfo& info) { return Append(info, false, false); }
Napi::Value WriteBatch::PutRaw(const Napi::CallbackInfo& info) { return Append(info, false, true); }
Napi::Value WriteBatch::Merge(const Napi::CallbackInfo& info) { return Append(info, true, false); }

Napi::Value WriteBatch::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  const ColumnFamily& family = FamilyArg(info[0]);
  CheckStatus(env, batch_.Delete(family.handle, BytesArg(info[1], "key")));
  return info.This();
}

Napi::Value WriteBatch::DeleteRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  const ColumnFamily& family = FamilyArg(info[0]);
  rocksdb::Slice begin = BytesArg(info[1], "begin");
  rocksdb::Slice end = BytesArg(info[2], "end");
  if (!CheckRange(env, begin, end, "deleteRange")) return info.This();
  CheckStatus(env, batch_.DeleteRange(family.handle, begin, end));
  return info.This();
}

Napi::Value WriteBatch::Clear(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  batch_.Clear();
  families_.clear();
  return info.This();
}

Napi::Value WriteBatch::Count(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return Napi::Number::New(info.Env(), batch_.Count());
}

Napi::Value WriteBatch::ByteSize(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return Napi::Number::New(info.Env(), double(batch_.GetDataSize()));
}

Napi::Value WriteBatch::Close(const Napi::CallbackInfo& info) {
  ReleaseResource();
  return info.Env().Undefined();
}

}  // namespace rks
