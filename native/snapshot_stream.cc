#include "snapshot_stream.h"

#include <cstring>

#include "args.h"
#include "async.h"
#include "errors.h"
#include "snapshot.h"
#include "ttl_value.h"

namespace rks {

static constexpr uint32_t kEndOfKeyGroup = 0xffff;
static constexpr uint32_t kMaxKvStateId = 0x7fff;
static constexpr char kMetaDataFollowsFlag = char(0x80);
static constexpr size_t kMaxEntryPart = 0x7fffffff;

Napi::Function SnapshotStream::Init(Napi::Env env) {
  return DefineClass(env, "SnapshotStream",
                     {InstanceMethod<&SnapshotStream::Next>("next"), InstanceMethod<&SnapshotStream::Close>("close")});
}

static size_t SizeOption(const Napi::Object& options, const char* name) {
  return Uint32Arg(options.Get(name), name);
}

SnapshotStream::SnapshotStream(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  Snapshot* snapshot = UnwrapArg<Snapshot>(info[0], "a Snapshot");
  Database* db = snapshot->database();
  if (db == nullptr) ThrowClosed(env, "Snapshot");
  snapshot->CheckUsableOn(env, db);
  if (!info[1].IsArray()) ThrowTypeError(env, "sources must be an array");
  Napi::Array sources = info[1].As<Napi::Array>();
  Napi::Object options = ObjectArg(info[2], "options");
  prefixBytes_ = Uint32Arg(options.Get("prefixBytes"), "prefixBytes");
  frameBytes_ = SizeOption(options, "frameBytes");
  chunkBytes_ = SizeOption(options, "chunkBytes");
  if (prefixBytes_ != 1 && prefixBytes_ != 2) throw Napi::RangeError::New(env, "prefixBytes must be 1 or 2");
  if (chunkBytes_ == 0 || chunkBytes_ < frameBytes_) throw Napi::RangeError::New(env, "chunkBytes must be at least 1 and frameBytes");

  std::vector<Source> parsed(sources.Length());
  for (uint32_t i = 0; i < sources.Length(); ++i) {
    Napi::Object source = ObjectArg(sources.Get(i), "source");
    uint32_t kvStateId = Uint32Arg(source.Get("kvStateId"), "kvStateId");
    if (kvStateId > kMaxKvStateId) throw Napi::RangeError::New(env, "kvStateId must be at most 32767");
    parsed[i].kvStateId = uint16_t(kvStateId);
    Napi::Value family = source.Get("family");
    if (!family.IsUndefined()) {
      parsed[i].family = db->UseFamily(family);
      continue;
    }
    Napi::Value entries = source.Get("entries");
    if (!entries.IsArray() || entries.As<Napi::Array>().Length() % 2 != 0) {
      ThrowTypeError(env, "a source needs a family id or entries as [key, value, ...] Buffers");
    }
    Napi::Array list = entries.As<Napi::Array>();
    parsed[i].memory.reserve(list.Length());
    for (uint32_t j = 0; j < list.Length(); ++j) parsed[i].memory.push_back(BytesArg(list.Get(j), "entry").ToString());
  }
  // Checked after every argument was read: a getter may have closed the database or the snapshot.
  db->CheckOpen(env);
  snapshot->CheckUsableOn(env, db);
  snapshot_ = snapshot->shared();
  rocksdb::ReadOptions read;
  read.snapshot = snapshot_.get();
  read.fill_cache = false;
  for (Source& source : parsed) {
    if (source.family.handle() != nullptr) source.iterator.reset(db->base()->NewIterator(read, source.family.handle()));
  }
  sources_ = std::move(parsed);
  buffer_.reserve(chunkBytes_ + (chunkBytes_ >> 2));
  AttachTo(db);
}

SnapshotStream::~SnapshotStream() { ReleaseResource(); }

void SnapshotStream::ReleaseResource() {
  if (!DetachFromDatabase()) return;
  sources_.clear();  // iterators and family uses, before the snapshot they read
  snapshot_.reset();
  std::string().swap(buffer_);
}

void SnapshotStream::CheckUsable(Napi::Env env) const {
  if (db_ == nullptr || closeRequested_ || !db_->isOpen()) ThrowClosed(env, "SnapshotStream");
  if (busy_) throw MakeError(env, "OperationInProgress", "the snapshot stream is busy with an asynchronous next");
}

uint32_t SnapshotStream::KeyGroupOf(const rocksdb::Slice& key) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(key.data());
  return prefixBytes_ == 1 ? bytes[0] : (uint32_t(bytes[0]) << 8) | bytes[1];
}

void SnapshotStream::AppendU16(uint32_t value) {
  char bytes[2] = {char(value >> 8), char(value)};
  buffer_.append(bytes, 2);
}

void SnapshotStream::AppendU32(uint32_t value) {
  char bytes[4] = {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
  buffer_.append(bytes, 4);
}

// Picks the next (key group, state) run: the smallest key group, then kvStateId; writes the
// previous key group's end when the key group changes, and the run's kvStateId.
rocksdb::Status SnapshotStream::BeginRun() {
  int best = -1;
  uint32_t bestGroup = 0;
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = sources_[i];
    if (!source.Valid()) continue;
    if (source.key().size() < prefixBytes_) {
      return rocksdb::Status::InvalidArgument("a key is shorter than its key-group prefix");
    }
    uint32_t group = KeyGroupOf(source.key());
    if (best < 0 || group < bestGroup || (group == bestGroup && source.kvStateId < sources_[best].kvStateId)) {
      best = int(i);
      bestGroup = group;
    }
  }
  if (best < 0) {
    if (openGroup_ >= 0) AppendU16(kEndOfKeyGroup);
    openGroup_ = -1;
    ended_ = true;
    return rocksdb::Status::OK();
  }
  const uint16_t kvStateId = sources_[best].kvStateId;
  if (int64_t(bestGroup) != openGroup_) {
    if (int64_t(bestGroup) < openGroup_) return rocksdb::Status::InvalidArgument("entries out of key-group order");
    if (openGroup_ >= 0) AppendU16(kEndOfKeyGroup);
    openGroup_ = bestGroup;
    groupStart_ = emitted_ + buffer_.size();
    starts_.push_back(groupStart_);
    starts_.push_back(bestGroup);
  } else if (kvStateId <= lastKvStateId_) {
    return rocksdb::Status::InvalidArgument("two runs of one state in a key group: entries out of order");
  }
  AppendU16(kvStateId);
  lastKvStateId_ = kvStateId;
  run_ = best;
  return rocksdb::Status::OK();
}

// Writes the source's entry and steps past it; flags it when the run ends with it.
rocksdb::Status SnapshotStream::AppendEntry(Source& source) {
  rocksdb::Slice key = source.key();
  rocksdb::Slice value = source.value();
  if (source.iterator) {
    rocksdb::Status status = CheckRawValue(value);
    if (!status.ok()) return status;
  }
  if (key.size() < prefixBytes_ || (key[0] & kMetaDataFollowsFlag) != 0) {
    return rocksdb::Status::InvalidArgument("a key does not start with a key-group prefix");
  }
  if (key.size() > kMaxEntryPart || value.size() > kMaxEntryPart) {
    return rocksdb::Status::InvalidArgument("an entry exceeds the format's 2^31-1 byte limit");
  }
  AppendU32(uint32_t(key.size()));
  const size_t flagAt = buffer_.size();
  buffer_.append(key.data(), key.size());
  AppendU32(uint32_t(value.size()));
  buffer_.append(value.data(), value.size());
  entries_ += 1;
  dataBytes_ += double(key.size() + value.size());
  source.Next();
  if (!source.Valid() || source.key().size() < prefixBytes_ || int64_t(KeyGroupOf(source.key())) != openGroup_) {
    buffer_[flagAt] |= kMetaDataFollowsFlag;
    run_ = -1;
  }
  return source.status();
}

rocksdb::Status SnapshotStream::Fill() {
  if (!positioned_) {
    for (Source& source : sources_) {
      if (source.iterator) source.iterator->SeekToFirst();
    }
    positioned_ = true;
  }
  while (!ended_ && buffer_.size() < chunkBytes_) {
    rocksdb::Status status = run_ < 0 ? BeginRun() : AppendEntry(sources_[run_]);
    if (!status.ok()) return status;
  }
  for (const Source& source : sources_) {
    if (!source.status().ok()) return source.status();
  }
  return rocksdb::Status::OK();
}

size_t SnapshotStream::CutPoint() const {
  if (ended_ || frameBytes_ == 0 || openGroup_ < 0) return buffer_.size();
  const uint64_t end = emitted_ + buffer_.size();
  return size_t(groupStart_ + (end - groupStart_) / frameBytes_ * frameBytes_ - emitted_);
}

rocksdb::Status SnapshotStream::FillInto(char* target, size_t capacity) {
  rocksdb::Status status = Fill();
  if (!status.ok()) return status;
  cut_ = CutPoint();
  copied_ = cut_ <= capacity;
  if (copied_ && cut_ > 0) std::memcpy(target, buffer_.data(), cut_);
  return status;
}

// { length, bytes (only when the chunk did not fit into the target), starts: [offset, key group, ...],
// entries, dataBytes, ended }
Napi::Value SnapshotStream::TakeChunk(Napi::Env env) {
  if (db_ == nullptr) ThrowClosed(env, "SnapshotStream");  // closed while the fill ran
  const size_t cut = cut_;
  const uint64_t cutAt = emitted_ + cut;
  Napi::Object chunk = Napi::Object::New(env);
  chunk.Set("length", double(cut));
  if (!copied_) chunk.Set("bytes", Napi::Buffer<char>::Copy(env, buffer_.data(), cut));  // an entry larger than the target
  Napi::Array starts = Napi::Array::New(env);
  size_t taken = 0;
  for (; taken < starts_.size() && starts_[taken] < cutAt; taken += 2) {
    starts.Set(uint32_t(taken), double(starts_[taken] - emitted_));
    starts.Set(uint32_t(taken + 1), double(starts_[taken + 1]));
  }
  starts_.erase(starts_.begin(), starts_.begin() + taken);
  chunk.Set("starts", starts);
  chunk.Set("entries", entries_);
  chunk.Set("dataBytes", dataBytes_);
  chunk.Set("ended", ended_ && cut == buffer_.size());
  buffer_.erase(0, cut);
  emitted_ = cutAt;
  entries_ = dataBytes_ = 0;
  return chunk;
}

namespace {

struct NextWork : WorkBase {
  SnapshotStream* stream;
  Napi::Reference<Napi::Buffer<char>> target;  // kept alive (and untouched by JS) while the fill writes into it
  char* targetData;
  size_t targetLength;
  rocksdb::Status Execute() { return stream->FillInto(targetData, targetLength); }
  void Finished(Napi::Env, const rocksdb::Status&) { stream->AsyncFinished(); }
  Napi::Value Result(Napi::Env env) { return stream->TakeChunk(env); }
};

}  // namespace

Napi::Value SnapshotStream::Next(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  NextWork work;
  work.stream = this;
  rocksdb::Slice target = BytesArg(info[0], "target");
  work.target = Napi::Persistent(info[0].As<Napi::Buffer<char>>());
  work.targetData = const_cast<char*>(target.data());
  work.targetLength = info[0].As<Napi::Buffer<char>>().Length();
  Napi::Promise promise = RunAsync(env, db_, Value(), "rocksdb-keyed-state:snapshotStream", std::move(work));
  busy_ = true;
  return promise;
}

void SnapshotStream::AsyncFinished() {
  busy_ = false;
  if (closeRequested_) ReleaseResource();
}

Napi::Value SnapshotStream::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    closeRequested_ = true;  // released when the running fill returns
  } else {
    ReleaseResource();
  }
  return info.Env().Undefined();
}

}  // namespace rks
