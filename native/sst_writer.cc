#include "sst_writer.h"

#include <vector>

#include "addon.h"
#include "args.h"
#include "async.h"
#include "database.h"
#include "errors.h"
#include "ttl_value.h"

namespace rks {

Napi::Function SstWriter::Init(Napi::Env env) {
  return DefineClass(env, "SstWriter",
                     {InstanceMethod<&SstWriter::Open>("open"), InstanceMethod<&SstWriter::Put>("put"),
                      InstanceMethod<&SstWriter::PutBatch>("putBatch"),
                      InstanceMethod<&SstWriter::Finish>("finish"), InstanceMethod<&SstWriter::Close>("close")});
}

SstWriter::SstWriter(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
}

SstWriter::~SstWriter() { ReleaseResource(); }

Napi::Object SstWriter::Create(Napi::Env env, Database* db, FamilyUse family) {
  Napi::Object object = AddonData::Of(env)->sstWriterConstructor.New({});
  SstWriter* writer = Unwrap(object);
  rocksdb::Options options(db->base()->GetDBOptions(), db->base()->GetOptions(family.handle()));
  writer->writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options, family.handle());
  writer->family_ = std::move(family);
  writer->AttachTo(db);
  return object;
}

void SstWriter::ReleaseResource() {
  if (!DetachFromDatabase()) return;
  writer_.reset();
  family_.Release();
}

void SstWriter::CheckUsable(Napi::Env env) const {
  if (db_ == nullptr) ThrowClosed(env, "SstWriter");
  if (finishing_) throw MakeError(env, "OperationInProgress", "the SST writer is finishing");
  db_->CheckOpen(env);
}

Napi::Value SstWriter::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (opened_) throw MakeError(env, "InvalidArgument", "the SST writer is already open");
  CheckStatus(env, writer_->Open(StringArg(info[0], "path")));
  opened_ = true;
  return env.Undefined();
}

// put(key, value, raw): keys strictly increasing. Values get the TTL timestamp unless raw
// (then they carry one already), because ingested files bypass DBWithTTL's write path.
Napi::Value SstWriter::Put(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (!opened_) throw MakeError(env, "InvalidArgument", "open the SST writer before put");
  rocksdb::Slice key = BytesArg(info[0], "key");
  rocksdb::Slice value = BytesArg(info[1], "value");
  bool raw = info[2].ToBoolean();
  int64_t writeTime = db_->WriteTime(env, family_.family(), value, raw);
  if (raw) {
    CheckStatus(env, writer_->Put(key, value));
  } else {
    std::string stamped(value.data(), value.size());
    stamped.resize(value.size() + kTimestampLength);
    EncodeTimestamp(&stamped[value.size()], writeTime);
    CheckStatus(env, writer_->Put(key, stamped));
  }
  return env.Undefined();
}

namespace {

// Reads a little-endian u32 at `*at` of `batch`, advancing `*at`; false when fewer than 4 bytes are left.
bool ReadU32(const rocksdb::Slice& batch, size_t* at, uint32_t* out) {
  if (batch.size() - *at < 4) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(batch.data() + *at);
  *out = uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 | uint32_t(bytes[3]) << 24;
  *at += 4;
  return true;
}

}  // namespace

// putBatch(batch): every entry of an iterator batch (iterator.h's layout) taken raw, as put(key,
// value, true) would: one crossing per batch instead of one per entry (rescaling's SST export).
Napi::Value SstWriter::PutBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (!opened_) throw MakeError(env, "InvalidArgument", "open the SST writer before put");
  rocksdb::Slice batch = BytesArg(info[0], "batch");
  size_t at = 0;
  uint32_t count = 0, ended = 0;
  if (!ReadU32(batch, &at, &count) || !ReadU32(batch, &at, &ended)) throw MakeError(env, "InvalidArgument", "truncated entry batch");
  // The whole batch is checked before any entry is written: a malformed one writes nothing.
  std::vector<rocksdb::Slice> slices;
  slices.reserve(size_t(count) * 2);
  for (uint32_t i = 0; i < 2 * count; ++i) {
    uint32_t length = 0;
    if (!ReadU32(batch, &at, &length) || batch.size() - at < length) throw MakeError(env, "InvalidArgument", "truncated entry batch");
    slices.emplace_back(batch.data() + at, length);
    at += length;
    if (i % 2 == 1) CheckStatus(env, CheckRawValue(slices.back()));
  }
  if (at != batch.size()) throw MakeError(env, "InvalidArgument", "entry batch has bytes after its last entry");
  for (size_t i = 0; i < slices.size(); i += 2) CheckStatus(env, writer_->Put(slices[i], slices[i + 1]));
  return env.Undefined();
}

namespace {

struct FinishWork : WorkBase {
  SstWriter* writer;
  rocksdb::ExternalSstFileInfo info;
  rocksdb::Status Execute() { return writer->writer()->Finish(&info); }
  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("path", info.file_path);
    result.Set("entries", double(info.num_entries));
    result.Set("fileSize", double(info.file_size));
    result.Set("smallestKey", Napi::Buffer<char>::Copy(env, info.smallest_key.data(), info.smallest_key.size()));
    result.Set("largestKey", Napi::Buffer<char>::Copy(env, info.largest_key.data(), info.largest_key.size()));
    return result;
  }
  void Finished(Napi::Env, const rocksdb::Status&) { writer->FinishDone(); }
};

}  // namespace

Napi::Value SstWriter::Finish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (!opened_) throw MakeError(env, "InvalidArgument", "open the SST writer before finish");
  FinishWork work;
  work.writer = this;
  finishing_ = true;
  return RunAsync(env, db_, Value(), "rocksdb-keyed-state:sstFinish", std::move(work));
}

Napi::Value SstWriter::Close(const Napi::CallbackInfo& info) {
  if (finishing_) throw MakeError(info.Env(), "OperationInProgress", "the SST writer is finishing");
  ReleaseResource();
  return info.Env().Undefined();
}

}  // namespace rks
