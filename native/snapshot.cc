#include "snapshot.h"

#include "addon.h"
#include "database.h"
#include "errors.h"

namespace rks {

Napi::Function Snapshot::Init(Napi::Env env) {
  return DefineClass(env, "Snapshot",
                     {InstanceMethod<&Snapshot::Release>("release"),
                      InstanceMethod<&Snapshot::SequenceNumber>("sequenceNumber")});
}

Snapshot::Snapshot(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
}

Napi::Object Snapshot::Create(Napi::Env env, Database* db) {
  Napi::Object object = AddonData::Of(env)->snapshotConstructor.New({});
  Snapshot* snapshot = Unwrap(object);
  rocksdb::DB* base = db->base();
  snapshot->snapshot_ = std::shared_ptr<const rocksdb::Snapshot>(
      base->GetSnapshot(), [base](const rocksdb::Snapshot* s) { base->ReleaseSnapshot(s); });
  snapshot->AttachTo(db);
  return object;
}

Snapshot::~Snapshot() { ReleaseResource(); }

void Snapshot::ReleaseResource() {
  if (!DetachFromDatabase()) return;
  snapshot_.reset();
}

void Snapshot::CheckUsableOn(Napi::Env env, const Database* db) const {
  if (!snapshot_ || !db_->isOpen()) ThrowClosed(env, "Snapshot");
  if (db_ != db) throw MakeError(env, "InvalidArgument", "the snapshot belongs to another database");
}

Napi::Value Snapshot::Release(const Napi::CallbackInfo& info) {
  ReleaseResource();
  return info.Env().Undefined();
}

Napi::Value Snapshot::SequenceNumber(const Napi::CallbackInfo& info) {
  if (!snapshot_ || !db_->isOpen()) ThrowClosed(info.Env(), "Snapshot");
  return Napi::Number::New(info.Env(), double(snapshot_->GetSequenceNumber()));
}

}  // namespace rks
