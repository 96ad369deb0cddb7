#include "iterator.h"

#include <cstring>

#include "addon.h"
#include "args.h"
#include "async.h"
#include "database.h"
#include "errors.h"
#include "little_endian.h"
#include "snapshot.h"
#include "ttl_value.h"

namespace rks {

static constexpr size_t kBatchHeader = 8;
// With skipExpired, one call steps over at most this many expired entries and then returns
// what it has (maybe nothing, not ended): a long expired run never blocks the loop for long.
static constexpr uint32_t kMaxSkippedPerCall = 4096;

static void AppendU32(std::string& out, uint32_t value) {
  char bytes[4] = {char(value & 0xff), char((value >> 8) & 0xff), char((value >> 16) & 0xff), char(value >> 24)};
  out.append(bytes, 4);
}

Napi::Function Iterator::Init(Napi::Env env) {
  return DefineClass(env, "Iterator",
                     {InstanceMethod<&Iterator::Seek>("seek"), InstanceMethod<&Iterator::Nextv>("nextv"),
                      InstanceMethod<&Iterator::NextvAsync>("nextvAsync"), InstanceMethod<&Iterator::Close>("close")});
}

Iterator::Iterator(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
}

Iterator::~Iterator() { ReleaseResource(); }

// Every bound maps onto RocksDB's own [lower, upper) bounds: for the bytewise order the
// first key after k is k + "\0", so gt k is gte k+"\0" and lte k is lt k+"\0".
static bool ReadBound(const Napi::Object& options, const char* inclusive, const char* exclusive, bool lower,
                      std::string* out) {
  Napi::Value inclusiveValue = options.Get(inclusive);
  Napi::Value exclusiveValue = options.Get(exclusive);
  bool hasInclusive = !inclusiveValue.IsUndefined() && !inclusiveValue.IsNull();
  bool hasExclusive = !exclusiveValue.IsUndefined() && !exclusiveValue.IsNull();
  if (hasInclusive && hasExclusive) {
    ThrowTypeError(options.Env(), std::string("options ") + inclusive + " and " + exclusive + " exclude each other");
  }
  if (hasInclusive) {
    *out = BytesArg(inclusiveValue, inclusive).ToString();
    if (!lower) out->push_back('\0');
    return true;
  }
  if (hasExclusive) {
    *out = BytesArg(exclusiveValue, exclusive).ToString();
    if (lower) out->push_back('\0');
    return true;
  }
  return false;
}

Napi::Object Iterator::Create(Napi::Env env, Database* db, FamilyUse family, const Napi::Object& options) {
  Napi::Object object = AddonData::Of(env)->iteratorConstructor.New({});
  Iterator* it = Unwrap(object);
  it->hasLower_ = ReadBound(options, "gte", "gt", true, &it->lowerBound_);
  it->hasUpper_ = ReadBound(options, "lte", "lt", false, &it->upperBound_);
  it->reverse_ = BoolOption(options, "reverse", false);
  it->raw_ = BoolOption(options, "raw", false);
  it->skipExpired_ = BoolOption(options, "skipExpired", false);
  it->ttlSeconds_ = family.family().ttlSeconds;
  rocksdb::ReadOptions read;
  // Off by default (abstract-level's default): a scan's blocks would evict the working set.
  read.fill_cache = BoolOption(options, "fillCache", false);
  Napi::Value snapshot = options.Get("snapshot");
  if (Snapshot* s = db->SnapshotArg(snapshot)) it->snapshot_ = s->shared();
  // Checked after every option was read: a getter may have closed the database.
  db->CheckOpen(env);
  read.snapshot = it->snapshot_.get();
  if (it->hasLower_) {
    it->lowerSlice_ = rocksdb::Slice(it->lowerBound_);
    read.iterate_lower_bound = &it->lowerSlice_;
  }
  if (it->hasUpper_) {
    it->upperSlice_ = rocksdb::Slice(it->upperBound_);
    read.iterate_upper_bound = &it->upperSlice_;
  }
  it->iterator_.reset(db->base()->NewIterator(read, family.handle()));
  it->family_ = std::move(family);
  // Bounds that leave no key (gte 'b' with lt 'a'): empty, and never handed to RocksDB.
  if (it->hasLower_ && it->hasUpper_ && it->lowerBound_ >= it->upperBound_) it->positioned_ = it->ended_ = true;
  it->AttachTo(db);
  return object;
}

void Iterator::ReleaseResource() {
  if (!DetachFromDatabase()) return;
  iterator_.reset();
  snapshot_.reset();
  family_.Release();
}

void Iterator::CheckUsable(Napi::Env env) const {
  // Refused from the moment the database's close() is called, like every other object.
  if (db_ == nullptr || closeRequested_ || !db_->isOpen()) ThrowClosed(env, "Iterator");
  if (busy_) throw MakeError(env, "OperationInProgress", "the iterator is busy with an asynchronous nextv");
}

void Iterator::Advance() {
  if (reverse_) {
    iterator_->Prev();
  } else {
    iterator_->Next();
  }
}

rocksdb::Status Iterator::Fill(uint32_t maxCount, size_t maxBytes) {
  batch_.resize(kBatchHeader);
  batchCount_ = 0;
  if (!positioned_) {
    if (reverse_) {
      iterator_->SeekToLast();
    } else {
      iterator_->SeekToFirst();
    }
    positioned_ = true;
  }
  const int64_t now = skipExpired_ ? db_->NowSeconds() : 0;
  uint32_t skipped = 0;
  while (!ended_ && batchCount_ < maxCount && batch_.size() < maxBytes + kBatchHeader) {
    if (!iterator_->Valid()) {
      ended_ = true;
      break;
    }
    rocksdb::Slice key = iterator_->key();
    rocksdb::Slice value = iterator_->value();
    rocksdb::Status status = CheckRawValue(value);
    if (!status.ok()) return status;
    const bool expired = skipExpired_ && IsExpired(value, ttlSeconds_, now);
    if (!expired) {
      if (!raw_) value = StripTimestamp(value);
      AppendU32(batch_, uint32_t(key.size()));
      batch_.append(key.data(), key.size());
      AppendU32(batch_, uint32_t(value.size()));
      batch_.append(value.data(), value.size());
      ++batchCount_;
    }
    Advance();
    if (expired && ++skipped == kMaxSkippedPerCall) break;
  }
  return iterator_->status();
}

Napi::Value Iterator::TakeBatch(Napi::Env env) {
  WriteU32LE(&batch_[0], batchCount_);
  WriteU32LE(&batch_[4], ended_ ? 1 : 0);
  return Napi::Buffer<char>::Copy(env, batch_.data(), batch_.size());
}

Napi::Value Iterator::Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  std::string target = BytesArg(info[0], "target").ToString();
  positioned_ = true;
  // A target outside the bounds ends the iterator (abstract-level's convention; RocksDB
  // leaves such a seek undefined).
  ended_ = (hasLower_ && target < lowerBound_) || (hasUpper_ && target >= upperBound_);
  if (ended_) return env.Undefined();
  if (reverse_) {
    iterator_->SeekForPrev(target);
  } else {
    iterator_->Seek(target);
  }
  return env.Undefined();
}

static void ReadLimits(const Napi::CallbackInfo& info, uint32_t* maxCount, size_t* maxBytes) {
  *maxCount = Uint32Arg(info[0], "maxCount");
  if (*maxCount == 0) throw Napi::RangeError::New(info.Env(), "maxCount must be at least 1");
  *maxBytes = info[1].IsUndefined() ? (size_t(1) << 20) : Uint32Arg(info[1], "maxBytes");
  // Zero would return nothing, forever, to a loop that reads until the end.
  if (*maxBytes == 0) throw Napi::RangeError::New(info.Env(), "maxBytes must be at least 1");
}

Napi::Value Iterator::Nextv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  uint32_t maxCount;
  size_t maxBytes;
  ReadLimits(info, &maxCount, &maxBytes);
  CheckStatus(env, Fill(maxCount, maxBytes));
  return TakeBatch(env);
}

namespace {

struct NextvWork : WorkBase {
  Iterator* iterator;
  uint32_t maxCount;
  size_t maxBytes;
  rocksdb::Status Execute() { return iterator->Fill(maxCount, maxBytes); }
  void Finished(Napi::Env, const rocksdb::Status&) { iterator->AsyncFinished(); }
  Napi::Value Result(Napi::Env env) { return iterator->TakeBatch(env); }
};

}  // namespace

Napi::Value Iterator::NextvAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  NextvWork work;
  work.iterator = this;
  ReadLimits(info, &work.maxCount, &work.maxBytes);
  Napi::Promise promise = RunAsync(env, db_, Value(), "rocksdb-keyed-state:nextv", std::move(work));
  busy_ = true;
  return promise;
}

void Iterator::AsyncFinished() {
  busy_ = false;
  if (closeRequested_) ReleaseResource();
}

Napi::Value Iterator::Close(const Napi::CallbackInfo& info) {
  if (busy_) {
    closeRequested_ = true;  // released when the running nextv returns
  } else {
    ReleaseResource();
  }
  return info.Env().Undefined();
}

}  // namespace rks
