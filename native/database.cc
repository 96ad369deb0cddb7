#include "database.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "addon.h"
#include "args.h"
#include "block_cache.h"
#include "async.h"
#include "clock.h"
#include "errors.h"
#include "info_log.h"
#include "iterator.h"
#include "latest_write_time.h"
#include "little_endian.h"
#include "list_ttl_compaction_filter.h"
#include "memory_budget.h"
#include "merge_operator.h"
#include "options_file_objects.h"
#include "parent_directories.h"
#include "snapshot.h"
#include "sst_writer.h"
#include "ttl_value.h"

namespace rks {

static constexpr size_t kScratchKeptBytes = 1 << 20;

// DBWithTTL stores write times as int32 seconds and tests expiry as `timestamp + ttl` in
// int32: an expiry past 2038-01-19T03:14:07Z wraps negative, and compaction then deletes
// fresh entries. So a TTL is refused unless now + ttl fits.
int32_t Database::TtlArg(const Napi::Value& value) const {
  if (value.IsUndefined()) return 0;
  uint32_t ttl = Uint32Arg(value, "ttlSeconds");
  int64_t maximum = int64_t(INT32_MAX) - NowSeconds();
  if (ttl > 0 && int64_t(ttl) > maximum) {
    throw Napi::RangeError::New(value.Env(), "ttlSeconds must be at most " + std::to_string(std::max<int64_t>(maximum, 0)) +
                                                 " now: DBWithTTL's int32 expiry time ends at 2038-01-19T03:14:07Z");
  }
  return int32_t(ttl);
}

// The latest write time stored in `family`: the newest of this session's writes and of every
// live SST file's record; a file without one (written by an older version of this library, or
// elsewhere and ingested) makes us read the whole family.
int64_t Database::LatestWriteTime(const ColumnFamily& family) const {
  int64_t latest = family.latestWriteTime;
  rocksdb::TablePropertiesCollection tables;
  if (!base_->GetPropertiesOfAllTables(family.handle, &tables).ok()) return INT32_MAX;  // unknown: no TTL fits
  bool recorded = true;
  for (const auto& table : tables) recorded = recorded && RecordedLatestWriteTime(*table.second, &latest);
  if (recorded) return latest;
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(base_->NewIterator(options, family.handle));
  return ReadLatestWriteTime(it.get(), latest);
}

// TtlArg checks now + ttl, but a stored value may carry a later write time than now (putRaw
// of a value stamped by a clock ahead of ours, a ManualClock that was set ahead, a reopen
// with another clock). DBWithTTL sums `timestamp + ttl` in int32 at compaction, and a sum
// past INT32_MAX wraps negative and deletes the value however fresh. So a TTL is set (by
// setTtl or by an open) only when it fits the latest write time stored in the family; new
// writes are held to the TTL in force by WriteTime. Empty when the TTL fits.
std::string Database::TtlRefusal(const ColumnFamily& family, int32_t ttlSeconds) const {
  if (ttlSeconds <= 0) return "";
  return TtlRefusalFor(family.name, ttlSeconds, LatestWriteTime(family));
}

std::string TtlRefusalFor(const std::string& family, int32_t ttlSeconds, int64_t latestWriteTime) {
  if (ttlSeconds <= 0 || latestWriteTime + ttlSeconds <= INT32_MAX) return "";
  return "refusing a TTL of " + std::to_string(ttlSeconds) + " s for column family '" + family +
         "' with a value written at " + std::to_string(latestWriteTime) + " s: the TTL must be at most " +
         std::to_string(std::max<int64_t>(int64_t(INT32_MAX) - latestWriteTime, 0)) +
         " s: DBWithTTL's int32 expiry time ends at 2038-01-19T03:14:07Z, and past it fresh entries would expire";
}

Napi::Function Database::Init(Napi::Env env) {
  return DefineClass(env, "Database",
                     {
                         InstanceMethod<&Database::Open>("open"),
                         InstanceMethod<&Database::Close>("close"),
                         InstanceMethod<&Database::ColumnFamilies>("columnFamilies"),
                         InstanceMethod<&Database::CreateColumnFamily>("createColumnFamily"),
                         InstanceMethod<&Database::CreateColumnFamilySync>("createColumnFamilySync"),
                         InstanceMethod<&Database::SetTtl>("setTtl"),
                         InstanceMethod<&Database::DropColumnFamily>("dropColumnFamily"),
                         InstanceMethod<&Database::Get>("get"),
                         InstanceMethod<&Database::GetMany>("getMany"),
                         InstanceMethod<&Database::ReadPoolChunk>("readPoolChunk"),
                         InstanceMethod<&Database::ReleaseReadPoolChunk>("releaseReadPoolChunk"),
                         InstanceMethod<&Database::Put>("put"),
                         InstanceMethod<&Database::PutRaw>("putRaw"),
                         InstanceMethod<&Database::Merge>("merge"),
                         InstanceMethod<&Database::Delete>("delete"),
                         InstanceMethod<&Database::DeleteRange>("deleteRange"),
                         InstanceMethod<&Database::Write>("write"),
                         InstanceMethod<&Database::NewIterator>("iterator"),
                         InstanceMethod<&Database::NewSnapshot>("snapshot"),
                         InstanceMethod<&Database::NewSstWriter>("sstWriter"),
                         InstanceMethod<&Database::Flush>("flush"),
                         InstanceMethod<&Database::FlushSync>("flushSync"),
                         InstanceMethod<&Database::CompactRange>("compactRange"),
                         InstanceMethod<&Database::GetProperty>("getProperty"),
                         InstanceMethod<&Database::ApproximateSize>("approximateSize"),
                         InstanceMethod<&Database::NowSecondsMethod>("nowSeconds"),
                         InstanceMethod<&Database::Checkpoint>("checkpoint"),
                         InstanceMethod<&Database::CheckpointSync>("checkpointSync"),
                         InstanceMethod<&Database::LiveFiles>("liveFiles"),
                         InstanceMethod<&Database::Ingest>("ingest"),
                         InstanceMethod<&Database::DeleteFilesInRange>("deleteFilesInRange"),
                     });
}

Database::Database(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  clock_ = rocksdb::SystemClock::Default();
  writeOptions_.disableWAL = true;
}

Database::~Database() { CloseNow(); }

void Resource::AttachTo(Database* db) {
  db_ = db;
  dbRef_ = Napi::Persistent(db->Value());
  db->Attach(this);
}

bool Resource::DetachFromDatabase() {
  if (db_ == nullptr) return false;
  db_->Detach(this);
  db_ = nullptr;
  dbRef_.Reset();
  return true;
}

void Database::CheckOpen(Napi::Env env) const {
  if (state_ != State::kOpen) ThrowClosed(env, "Database");
}

// A readOnly instance refuses everything that would change the files of the database:
// RocksDB itself lets some of it through (dropping or creating a column family, deleting
// files in a range), and a read-only open beside the writing process must never do that.
void Database::CheckWritable(Napi::Env env) const {
  CheckOpen(env);
  if (readOnly_) throw MakeError(env, "NotSupported", "the database was opened readOnly: it refuses every call that changes it");
  CheckNoBackgroundError(env);
}

void Database::CheckNoBackgroundError(Napi::Env env) const {
  if (backgroundErrors_->Failed()) throw ErrorFor(env, rocksdb::Status::Aborted("background error"));
}

Napi::Error Database::ErrorFor(Napi::Env env, const rocksdb::Status& status) const {
  std::string cause = backgroundErrors_->Cause();
  if (cause.empty()) return StatusError(env, status);
  return MakeError(env, "BackgroundError", "RocksDB stopped accepting writes after a background error (" + cause + ")");
}

void Database::CheckWrite(Napi::Env env, const rocksdb::Status& status) const {
  if (!status.ok()) throw ErrorFor(env, status);
}

const ColumnFamily& Database::ColumnFamilyArg(const Napi::Value& value) const {
  uint32_t id = Uint32Arg(value, "column family id");
  if (!IsLive(id)) {
    throw MakeError(value.Env(), "ColumnFamilyNotFound", "column family " + std::to_string(id) + " does not exist");
  }
  return columnFamilies_[id];
}

FamilyUse Database::UseFamily(const Napi::Value& value) {
  ColumnFamilyArg(value);
  return FamilyUse(this, value.As<Napi::Number>().Uint32Value());
}

FamilyUse::FamilyUse(Database* db, uint32_t id) : db_(db), id_(id), handle_(db->columnFamilies_[id].handle) {
  ++db->columnFamilies_[id].users;
}

FamilyUse& FamilyUse::operator=(FamilyUse&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    id_ = other.id_;
    handle_ = other.handle_;
    other.db_ = nullptr;
    other.handle_ = nullptr;
  }
  return *this;
}

const ColumnFamily& FamilyUse::family() const { return db_->FamilyAt(id_); }

void FamilyUse::Release() {
  if (db_ == nullptr) return;
  db_->ReleaseFamily(id_);
  db_ = nullptr;
  handle_ = nullptr;
}

void Database::ReleaseFamily(uint32_t id) {
  ColumnFamily& family = columnFamilies_[id];
  // A closed database destroyed every handle already.
  if (--family.users == 0 && family.dropped && family.handle != nullptr && db_ != nullptr) {
    db_->DestroyColumnFamilyHandle(family.handle);
    family.handle = nullptr;
  }
}

Snapshot* Database::SnapshotArg(const Napi::Value& value) const {
  if (value.IsUndefined() || value.IsNull()) return nullptr;
  Snapshot* snapshot = UnwrapArg<Snapshot>(value, "a Snapshot");
  snapshot->CheckUsableOn(value.Env(), this);
  return snapshot;
}

int64_t Database::NowSeconds() const {
  int64_t now = 0;
  clock_->GetCurrentTime(&now);
  return now;
}

std::shared_ptr<TimestampedListTtl> Database::ListTtlFor(bool timestampedList, int32_t ttlSeconds) const {
  return timestampedList ? std::make_shared<TimestampedListTtl>(ttlSeconds, clock_) : nullptr;
}

int64_t Database::WriteTime(Napi::Env env, const ColumnFamily& family, const rocksdb::Slice& value, bool raw,
                            int64_t now) const {
  if (raw) CheckStatus(env, CheckRawWrite(value));
  int64_t time = raw ? DecodeTimestamp(value) : now;
  if (time + family.ttlSeconds > INT32_MAX) {
    throw MakeError(env, "TimestampOverflow",
                    "refusing a write to column family '" + family.name + "' at " + std::to_string(time) +
                        " s with a TTL of " + std::to_string(family.ttlSeconds) +
                        " s: DBWithTTL's int32 expiry time ends at 2038-01-19T03:14:07Z, and past it fresh entries would expire");
  }
  family.latestWriteTime = std::max(family.latestWriteTime, time);
  return time;
}

// `ttlSeconds` as declared: for a timestamped list (listTtl set) it is the elements' TTL.
rocksdb::ColumnFamilyOptions Database::ColumnFamilyOptionsFor(int32_t ttlSeconds, int64_t periodicCompactionSeconds,
                                                              const std::shared_ptr<TimestampedListTtl>& listTtl) const {
  rocksdb::ColumnFamilyOptions options;
  options.merge_operator = mergeOperator_;
  if (listTtl) {
    // DBWithTTL wraps both, handing them values without its outer stamp.
    options.merge_operator = std::make_shared<TimestampedListMergeOperator>(listTtl);
    options.compaction_filter_factory = std::make_shared<ListTtlCompactionFilterFactory>(listTtl);
  }
  options.table_factory = tableFactory_;
  options.write_buffer_size = writeBufferBytes_;
  ApplyMemoryBudget(budget_, &options);
  options.table_properties_collector_factories.push_back(std::make_shared<LatestWriteTimeCollectorFactory>());
  // Point reads of keys that are on disk skip memtables that cannot hold them.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.02;
  // Expired entries only leave a file when it is compacted; periodic compaction makes sure
  // files that no write touches again are compacted too (default: once per TTL).
  if (periodicCompactionSeconds >= 0) {
    options.periodic_compaction_seconds = uint64_t(periodicCompactionSeconds);
  } else if (ttlSeconds > 0) {
    options.periodic_compaction_seconds = uint64_t(ttlSeconds);
  }
  return options;
}

// ---------------------------------------------------------------------------------------
// open

namespace {

struct ColumnFamilyRequest {
  std::string name;
  int32_t ttlSeconds = 0;
  int64_t periodicCompactionSeconds = -1;
  bool timestampedList = false;
};

}  // namespace

struct OpenWork : WorkBase {
  Database* db;
  std::string path;
  rocksdb::DBOptions options;
  std::vector<ColumnFamilyRequest> requested;
  bool readOnly = false;
  std::string ttlRefusal;  // set when a requested TTL does not fit: the database is closed again

  rocksdb::Status Execute() {
    rocksdb::Status status = OpenInstance();
    // Closed only now that OpenInstance's column family options, which hold the table factory
    // and so the block cache, are gone: the pool takes back only a cache nothing else holds.
    if (!status.ok() || !ttlRefusal.empty()) {
      db->DestroyDb();
      db->columnFamilies_.clear();
    }
    return status;
  }

  rocksdb::Status OpenInstance() {
    std::vector<std::string> existing;
    if (!rocksdb::DB::ListColumnFamilies(options, path, &existing).ok()) existing.clear();  // new directory
    std::vector<ColumnFamilyRequest> families;
    auto find = [&](const std::string& name) -> ColumnFamilyRequest* {
      for (auto& family : families)
        if (family.name == name) return &family;
      return nullptr;
    };
    families.push_back({rocksdb::kDefaultColumnFamilyName, 0, -1});
    // Existing families that were not asked for are opened too (RocksDB requires it), without TTL.
    for (const auto& name : existing)
      if (find(name) == nullptr) families.push_back({name, 0, -1});
    for (const auto& request : requested) {
      if (ColumnFamilyRequest* family = find(request.name)) {
        *family = request;
      } else {
        families.push_back(request);
      }
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    std::vector<int32_t> ttls;
    std::vector<std::shared_ptr<TimestampedListTtl>> listTtls;
    for (const auto& family : families) {
      listTtls.push_back(db->ListTtlFor(family.timestampedList, family.ttlSeconds));
      descriptors.emplace_back(family.name, db->ColumnFamilyOptionsFor(family.ttlSeconds, family.periodicCompactionSeconds,
                                                                       listTtls.back()));
      ttls.push_back(listTtls.back() ? 0 : family.ttlSeconds);
    }
    if (!readOnly) {
      // The LOG's directory must exist before the database opens (and creates it); createIfMissing
      // makes the missing directories above it too.
      if (options.create_if_missing) {
        rocksdb::Status made = MakeParentDirectories(path);
        if (!made.ok()) return made;
        rocksdb::Env::Default()->CreateDirIfMissing(path);
      }
      options.info_log = std::make_shared<TolerantInfoLog>(path);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DBWithTTL* opened = nullptr;
    // Opened with no TTL (nothing expires); each is set once it fits the family's stored
    // write times (Database::TtlRefusal), before any compaction could apply it.
    const std::vector<int32_t> noTtls(ttls.size(), 0);
    rocksdb::Status status = rocksdb::DBWithTTL::Open(options, path, descriptors, &handles, &opened, noTtls, readOnly);
    if (!status.ok()) return status;
    if (!readOnly) RemoveStaleOptionsTempFiles(path);
    // Installed here, under the gate, so that an environment teardown racing this open
    // still finds and closes the instance.
    db->db_ = opened;
    db->base_ = opened->GetBaseDB();
    for (size_t i = 0; i < families.size(); ++i) {
      db->columnFamilies_.push_back({families[i].name, handles[i], ttls[i], listTtls[i]});
    }
    for (size_t i = 0; i < families.size(); ++i) {
      // A readOnly instance never compacts: its TTL only hides values from skipExpired reads.
      if (!readOnly) ttlRefusal = db->TtlRefusal(db->columnFamilies_[i], ttls[i]);
      if (!ttlRefusal.empty()) return status;
      if (ttls[i] > 0) opened->SetTtl(handles[i], ttls[i]);
    }
    return status;
  }

  void Finished(Napi::Env env, const rocksdb::Status& status) {
    if (status.ok() && ttlRefusal.empty()) {
      AddonData::Of(env)->openDatabases.insert(db);
      if (db->state_ == Database::State::kOpening) db->state_ = Database::State::kOpen;
    } else if (db->state_ == Database::State::kClosing) {
      db->FinishClose(env, rocksdb::Status::OK());
    } else {
      db->state_ = Database::State::kClosed;
    }
  }

  Napi::Value Result(Napi::Env env) {
    if (!ttlRefusal.empty()) throw MakeError(env, "TimestampOverflow", ttlRefusal);
    return DescribeColumnFamilies(env);
  }

  Napi::Value DescribeColumnFamilies(Napi::Env env) const;
};

static Napi::Array DescribeFamilies(Napi::Env env, const std::vector<ColumnFamily>& families) {
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  for (size_t id = 0; id < families.size(); ++id) {
    if (families[id].handle == nullptr) continue;
    Napi::Object family = Napi::Object::New(env);
    family.Set("id", double(id));
    family.Set("name", families[id].name);
    const auto& listTtl = families[id].listTtl;
    family.Set("ttlSeconds", double(listTtl ? listTtl->ttlSeconds() : families[id].ttlSeconds));
    family.Set("timestampedList", bool(listTtl));
    result.Set(n++, family);
  }
  return result;
}

Napi::Value OpenWork::DescribeColumnFamilies(Napi::Env env) const { return DescribeFamilies(env, db->columnFamilies_); }

Napi::Value Database::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_ != State::kNew) throw MakeError(env, "InvalidArgument", "a Database object opens only once");
  OpenWork work;
  work.db = this;
  work.path = StringArg(info[0], "path");
  Napi::Object options = ObjectArg(info[1], "options");

  work.options.create_if_missing = BoolOption(options, "createIfMissing", true);
  work.options.create_missing_column_families = true;
  work.options.error_if_exists = BoolOption(options, "errorIfExists", false);
  work.readOnly = BoolOption(options, "readOnly", false);
  readOnly_ = work.readOnly;
  // On by default: a write acknowledged to JS survives the process (RocksDB's default, unsynced).
  writeOptions_.disableWAL = !BoolOption(options, "wal", true);
  Napi::Value writeBuffer = options.Get("writeBufferBytes");
  if (!writeBuffer.IsUndefined()) {
    int64_t bytes = Int64Arg(writeBuffer, "writeBufferBytes");
    if (bytes < int64_t(kMinWriteBufferBytes) || bytes > int64_t(kMaxWriteBufferBytes)) {
      throw Napi::RangeError::New(env, "writeBufferBytes must be between 64 KiB and 1 GiB");
    }
    writeBufferBytes_ = size_t(bytes);
  }
  work.options.listeners.push_back(backgroundErrors_);

  Napi::Value delimiter = options.Get("mergeDelimiter");
  uint32_t delimiterByte = delimiter.IsUndefined() ? ',' : Uint32Arg(delimiter, "mergeDelimiter");
  if (delimiterByte > 255) throw Napi::RangeError::New(env, "mergeDelimiter must be one byte (0-255)");
  mergeOperator_ = std::make_shared<DelimitedAppendOperator>(char(delimiterByte));

  bool useMemoryBudget = BoolOption(options, "useMemoryBudget", true);

  Napi::Value clock = options.Get("clock");
  if (!clock.IsUndefined()) {
    clock_ = UnwrapArg<ManualClock>(clock, "clock to be a ManualClock")->clock();
    env_ = std::make_unique<ClockEnv>(rocksdb::Env::Default(), clock_);
    work.options.env = env_.get();
  }

  Napi::Value families = options.Get("columnFamilies");
  if (!families.IsUndefined()) {
    if (!families.IsArray()) ThrowTypeError(env, "columnFamilies must be an array");
    Napi::Array list = families.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Object entry = ObjectArg(list.Get(i), "column family");
      ColumnFamilyRequest request;
      request.name = StringArg(entry.Get("name"), "column family name");
      Napi::Value ttl = entry.Get("ttlSeconds");
      request.ttlSeconds = TtlArg(ttl);
      Napi::Value periodic = entry.Get("periodicCompactionSeconds");
      if (!periodic.IsUndefined()) request.periodicCompactionSeconds = Uint32Arg(periodic, "periodicCompactionSeconds");
      request.timestampedList = BoolOption(entry, "timestampedList", false);
      work.requested.push_back(request);
    }
  }
  // An option getter may have called close(): then this object stays closed.
  if (state_ != State::kNew) ThrowClosed(env, "Database");

  // Taken once no option can be refused: only an open that starts closes the instance and so
  // gives a database's own cache back to the pool (block_cache.h). The table options go before the
  // open is queued: a copy of the cache left here still held it when a fast failed open closed.
  {
    rocksdb::BlockBasedTableOptions table;
    // Bloom filters: a point read touches only the files that may hold its key.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    if (useMemoryBudget) budget_ = CurrentMemoryBudget();
    if (budget_.blockCache) {
      ApplyMemoryBudget(budget_, &work.options, &table);
      if (clock_) budget_.clocks->Keep(clock_);
    } else {
      ownBlockCache_ = AcquireDefaultBlockCache();
      table.block_cache = ownBlockCache_;
    }
    tableFactory_.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  state_ = State::kOpening;
  return RunAsync(env, this, Value(), "rocksdb-keyed-state:open", std::move(work));
}

// ---------------------------------------------------------------------------------------
// close and lifetime

// Its own promise always resolves (nobody holds it); the outcome goes to close()'s callers.
struct CloseWork : WorkBase {
  Database* db;
  rocksdb::Status outcome;
  rocksdb::Status Execute() {
    db->gate_.CloseAndWait();
    rocksdb::Status flushed = db->FlushBeforeClose();
    rocksdb::Status closed = db->DestroyDb();
    db->gate_.Finish();
    outcome = flushed.ok() ? closed : flushed;
    return rocksdb::Status::OK();
  }
  void Finished(Napi::Env env, const rocksdb::Status&) { db->FinishClose(env, outcome); }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

Napi::Value Database::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  switch (state_) {
    case State::kNew:
    case State::kClosed:
      state_ = State::kClosed;
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    case State::kOpening:
    case State::kOpen:
      state_ = State::kClosing;
      break;
    case State::kClosing:
      break;
  }
  closeWaiters_.push_back(deferred);
  if (pending_ == 0 && !closeStarted_) StartClose(env);
  return deferred.Promise();
}

void Database::OperationFinished(Napi::Env env) {
  --pending_;
  if (pending_ == 0 && state_ == State::kClosing && !closeStarted_) StartClose(env);
}

void Database::ReleaseResources() {
  std::unordered_set<Resource*> resources;
  resources.swap(resources_);
  for (Resource* resource : resources) resource->ReleaseResource();
}

void Database::StartClose(Napi::Env env) {
  closeStarted_ = true;
  ReleaseResources();
  CloseWork work;
  work.db = this;
  try {
    // Not counted as pending: it is the operation that waits for the pending ones.
    RunAsync(env, nullptr, Value(), "rocksdb-keyed-state:close", std::move(work));
  } catch (...) {
    CloseNow();  // no promise can be made: the environment is going away
  }
}

void Database::FinishClose(Napi::Env env, const rocksdb::Status& status) {
  state_ = State::kClosed;
  AddonData::Of(env)->openDatabases.erase(this);
  std::vector<Napi::Promise::Deferred> waiters;
  waiters.swap(closeWaiters_);
  for (auto& waiter : waiters) {
    SettleDeferred(env, waiter, [&]() -> Napi::Value {
      if (!status.ok()) throw ErrorFor(env, status);
      return env.Undefined();
    });
  }
}

// With the WAL off, the memtables hold the only copy of recent writes. RocksDB flushes them
// when it closes but ignores a failure, so the flush is ours, and close() reports it.
rocksdb::Status Database::FlushBeforeClose() {
  if (db_ == nullptr || readOnly_) return rocksdb::Status::OK();
  rocksdb::Status status = writeOptions_.disableWAL ? FlushLiveFamilies() : rocksdb::Status::OK();
  if (status.ok() && backgroundErrors_->Failed()) status = rocksdb::Status::Aborted("background error");
  return status;
}

rocksdb::Status Database::FlushLiveFamilies() {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (const auto& family : columnFamilies_)
    if (!family.dropped && family.handle != nullptr) handles.push_back(family.handle);
  return db_->Flush(rocksdb::FlushOptions(), handles);
}

rocksdb::Status Database::DestroyDb() {
  rocksdb::Status status;
  if (db_ != nullptr) {
    // Handles go first: closing frees the column family set they point into.
    for (auto& family : columnFamilies_) {
      if (family.handle != nullptr) db_->DestroyColumnFamilyHandle(family.handle);
      family.handle = nullptr;
    }
    status = db_->Close();
    delete db_;
    db_ = nullptr;
    base_ = nullptr;
  }
  // The block cache goes with the database, not with this object, which V8 may collect much
  // later: a HyperClockCache's slot table is 4 MiB at once, and 500 open/close cycles held 2 GB.
  tableFactory_.reset();
  ReleaseDefaultBlockCache(std::move(ownBlockCache_));
  budget_ = MemoryBudget();
  return status;
}

void Database::CloseNow() {
  if (state_ == State::kClosed || state_ == State::kNew) return;
  gate_.CloseAndWait();
  ReleaseResources();
  DestroyDb();
  gate_.Finish();
  state_ = State::kClosed;
  closeStarted_ = true;
  AddonData* data = AddonData::Of(Env());
  if (data != nullptr) data->openDatabases.erase(this);
}

// ---------------------------------------------------------------------------------------
// column families

struct CreateColumnFamilyWork : WorkBase {
  Database* db;
  std::vector<ColumnFamily>* families;
  rocksdb::ColumnFamilyOptions options;
  std::string name;
  int32_t ttlSeconds;  // whole-value TTL: 0 for a timestamped list
  std::shared_ptr<TimestampedListTtl> listTtl;
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  rocksdb::Status Execute() { return db->ttlDb()->CreateColumnFamilyWithTtl(options, name, &handle, ttlSeconds); }
  void Finished(Napi::Env, const rocksdb::Status& status) {
    if (status.ok()) families->push_back({name, handle, ttlSeconds, listTtl});
  }
  Napi::Value Result(Napi::Env env) { return Napi::Number::New(env, double(families->size() - 1)); }
};

Napi::Value Database::ColumnFamilies(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  return DescribeFamilies(info.Env(), columnFamilies_);
}

namespace {

// The handle itself is destroyed when its last FamilyUse ends (this one, or a running
// flush, compaction, ingestion or SST writer).
struct DropColumnFamilyWork : WorkBase {
  Database* db;
  FamilyUse family;
  rocksdb::Status Execute() { return db->ttlDb()->DropColumnFamily(family.handle()); }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

}  // namespace

CreateColumnFamilyWork Database::PrepareColumnFamily(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  CreateColumnFamilyWork work;
  work.db = this;
  work.families = &columnFamilies_;
  work.name = StringArg(info[0], "name");
  for (const auto& family : columnFamilies_) {
    if (!family.dropped && family.name == work.name) {
      throw MakeError(env, "InvalidArgument", "column family '" + work.name + "' already exists");
    }
  }
  const int32_t ttlSeconds = TtlArg(info[1]);
  int64_t periodic = info[2].IsUndefined() ? -1 : int64_t(Uint32Arg(info[2], "periodicCompactionSeconds"));
  if (!info[3].IsUndefined() && !info[3].IsBoolean()) ThrowTypeError(env, "timestampedList must be a boolean");
  const bool timestampedList = info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
  work.listTtl = ListTtlFor(timestampedList, ttlSeconds);
  work.ttlSeconds = work.listTtl ? 0 : ttlSeconds;
  work.options = ColumnFamilyOptionsFor(ttlSeconds, periodic, work.listTtl);
  return work;
}

Napi::Value Database::CreateColumnFamily(const Napi::CallbackInfo& info) {
  CheckWritable(info.Env());
  return RunAsync(info.Env(), this, Value(), "rocksdb-keyed-state:createColumnFamily", PrepareColumnFamily(info));
}

// Registering keyed state is synchronous API; creating a column family only appends to the MANIFEST.
Napi::Value Database::CreateColumnFamilySync(const Napi::CallbackInfo& info) {
  CheckWritable(info.Env());
  CreateColumnFamilyWork work = PrepareColumnFamily(info);
  rocksdb::Status status = work.Execute();
  CheckWrite(info.Env(), status);
  work.Finished(info.Env(), status);
  return work.Result(info.Env());
}

Napi::Value Database::SetTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  ColumnFamily& family = const_cast<ColumnFamily&>(ColumnFamilyArg(info[0]));
  const int32_t ttlSeconds = TtlArg(info[1]);
  if (family.listTtl) {
    family.listTtl->SetTtl(ttlSeconds);
  } else {
    std::string refusal = TtlRefusal(family, ttlSeconds);
    if (!refusal.empty()) throw MakeError(env, "TimestampOverflow", refusal);
    family.ttlSeconds = ttlSeconds;
    db_->SetTtl(family.handle, family.ttlSeconds);
  }
  return env.Undefined();
}

Napi::Value Database::DropColumnFamily(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  ColumnFamily& family = const_cast<ColumnFamily&>(ColumnFamilyArg(info[0]));
  if (family.name == rocksdb::kDefaultColumnFamilyName) {
    throw MakeError(env, "InvalidArgument", "the default column family cannot be dropped");
  }
  DropColumnFamilyWork work;
  work.db = this;
  work.family = UseFamily(info[0]);
  family.dropped = true;  // unusable from now on, also while the drop runs
  return RunAsync(env, this, Value(), "rocksdb-keyed-state:dropColumnFamily", std::move(work));
}

// ---------------------------------------------------------------------------------------
// point operations: synchronous, the hot path

Napi::Value Database::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  const ColumnFamily& family = ColumnFamilyArg(info[0]);
  rocksdb::Slice key = BytesArg(info[1], "key");
  rocksdb::ReadOptions options;
  if (Snapshot* snapshot = SnapshotArg(info[2])) options.snapshot = snapshot->get();
  uint32_t flags = info[3].IsUndefined() ? 0 : Uint32Arg(info[3], "flags");
  rocksdb::PinnableSlice value;
  rocksdb::Status status = base_->Get(options, family.handle, key, &value);
  if (status.IsNotFound()) return env.Undefined();
  CheckStatus(env, status);
  CheckStatus(env, CheckRawValue(value));
  if ((flags & kReadSkipExpired) && IsExpired(value, family.ttlSeconds, NowSeconds())) return env.Undefined();
  rocksdb::Slice result = (flags & kReadRaw) ? rocksdb::Slice(value) : StripTimestamp(value);
  return readPool_.Return(env, result.data(), result.size());
}

Napi::Value Database::ReadPoolChunk(const Napi::CallbackInfo& info) { return readPool_.CurrentChunk(info.Env()); }

Napi::Value Database::ReleaseReadPoolChunk(const Napi::CallbackInfo& info) {
  readPool_.Release();
  return info.Env().Undefined();
}

Napi::Value Database::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[1].IsArray()) ThrowTypeError(env, "keys must be an array");
  Napi::Array keyArray = info[1].As<Napi::Array>();
  const uint32_t count = keyArray.Length();
  // Grown key by key: a huge (sparse) array fails on its first missing key, not in an allocation.
  std::vector<rocksdb::Slice> keys;
  for (uint32_t i = 0; i < count; ++i) keys.push_back(BytesArg(keyArray.Get(i), "key"));
  // Checked after the keys were read: an element getter may have closed the database.
  CheckOpen(env);
  const ColumnFamily& family = ColumnFamilyArg(info[0]);
  rocksdb::ReadOptions options;
  if (Snapshot* snapshot = SnapshotArg(info[2])) options.snapshot = snapshot->get();
  uint32_t flags = info[3].IsUndefined() ? 0 : Uint32Arg(info[3], "flags");
  std::vector<rocksdb::PinnableSlice> values(count);
  std::vector<rocksdb::Status> statuses(count);
  base_->MultiGet(options, family.handle, count, keys.data(), values.data(), statuses.data());
  const int64_t now = (flags & kReadSkipExpired) ? NowSeconds() : 0;
  // One Buffer for all of them (lib/native/column-family.ts unpackValues): u32 count, a u32
  // length per key (0xffffffff: none), then the values one after the other.
  std::vector<rocksdb::Slice> found(count);
  std::vector<bool> present(count, false);
  size_t total = 4 + 4 * size_t(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (statuses[i].IsNotFound()) continue;
    CheckStatus(env, statuses[i]);
    CheckStatus(env, CheckRawValue(values[i]));
    if ((flags & kReadSkipExpired) && IsExpired(values[i], family.ttlSeconds, now)) continue;
    found[i] = (flags & kReadRaw) ? rocksdb::Slice(values[i]) : StripTimestamp(values[i]);
    present[i] = true;
    total += found[i].size();
  }
  Napi::Buffer<char> result = Napi::Buffer<char>::New(env, total);
  char* out = result.Data();
  WriteU32LE(out, count);
  char* data = out + 4 + 4 * size_t(count);
  for (uint32_t i = 0; i < count; ++i) {
    WriteU32LE(out + 4 + 4 * size_t(i), present[i] ? uint32_t(found[i].size()) : UINT32_MAX);
    if (!present[i]) continue;
    if (!found[i].empty()) std::memcpy(data, found[i].data(), found[i].size());
    data += found[i].size();
  }
  return result;
}

Napi::Value Database::WriteValue(const Napi::CallbackInfo& info, bool merge, bool raw) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  const ColumnFamily& family = ColumnFamilyArg(info[0]);
  rocksdb::Slice key = BytesArg(info[1], "key");
  rocksdb::Slice value = BytesArg(info[2], "value");
  int64_t writeTime = WriteTime(env, family, value, raw);
  scratch_.Clear();
  CheckStatus(env, AddStampedWrite(scratch_, family.handle, key, value, merge, raw, writeTime));
  CheckWrite(env, base_->Write(writeOptions_, &scratch_));
  return env.Undefined();
}

Napi::Value Database::Put(const Napi::CallbackInfo& info) { return WriteValue(info, false, false); }
Napi::Value Database::PutRaw(const Napi::CallbackInfo& info) { return WriteValue(info, false, true); }
Napi::Value Database::Merge(const Napi::CallbackInfo& info) { return WriteValue(info, true, false); }

Napi::Value Database::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  const ColumnFamily& family = ColumnFamilyArg(info[0]);
  CheckWrite(env, base_->Delete(writeOptions_, family.handle, BytesArg(info[1], "key")));
  return env.Undefined();
}

Napi::Value Database::DeleteRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  const ColumnFamily& family = ColumnFamilyArg(info[0]);
  rocksdb::Slice begin = BytesArg(info[1], "begin");
  rocksdb::Slice end = BytesArg(info[2], "end");
  if (!CheckRange(env, begin, end, "deleteRange")) return env.Undefined();
  CheckWrite(env, base_->DeleteRange(writeOptions_, family.handle, begin, end));
  return env.Undefined();
}

// write(encoded): a whole WriteBatch as lib/native/write-batch.ts encodes it, its values
// stamped with one write time.
Napi::Value Database::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rocksdb::Slice encoded = BytesArg(info[0], "batch");
  CheckWritable(env);
  batchDecoder_.Decode(env, *this, encoded, NowSeconds(), &scratch_);
  rocksdb::Status status = base_->Write(writeOptions_, &scratch_);
  // A huge batch does not keep its memory for the single puts after it.
  if (scratch_.GetDataSize() > kScratchKeptBytes) scratch_ = rocksdb::WriteBatch();
  CheckWrite(env, status);
  return env.Undefined();
}

Napi::Value Database::NewIterator(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  return Iterator::Create(info.Env(), this, UseFamily(info[0]), ObjectArg(info[1], "options"));
}

Napi::Value Database::NewSnapshot(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  return Snapshot::Create(info.Env(), this);
}

Napi::Value Database::NewSstWriter(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  return SstWriter::Create(info.Env(), this, UseFamily(info[0]));
}

Napi::Value Database::NowSecondsMethod(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(NowSeconds()));
}

// ---------------------------------------------------------------------------------------
// maintenance

namespace {

struct FlushWork : WorkBase {
  Database* db;
  std::vector<FamilyUse> families;
  rocksdb::Status Execute() {
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    for (const auto& family : families) handles.push_back(family.handle());
    return db->ttlDb()->Flush(rocksdb::FlushOptions(), handles);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

struct CompactRangeWork : WorkBase {
  Database* db;
  FamilyUse family;
  bool hasBegin = false, hasEnd = false;
  std::string begin, end;
  rocksdb::Status Execute() {
    rocksdb::Slice beginSlice(begin), endSlice(end);
    rocksdb::CompactRangeOptions options;
    // Run every file through the compaction filter, so TTL expiry takes effect now.
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return db->ttlDb()->CompactRange(options, family.handle(), hasBegin ? &beginSlice : nullptr,
                                     hasEnd ? &endSlice : nullptr);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

}  // namespace

Napi::Value Database::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  FlushWork work;
  work.db = this;
  if (info[0].IsUndefined()) {
    for (uint32_t id = 0; id < columnFamilies_.size(); ++id)
      if (IsLive(id)) work.families.emplace_back(this, id);
  } else {
    work.families.push_back(UseFamily(info[0]));
  }
  return RunAsync(env, this, Value(), "rocksdb-keyed-state:flush", std::move(work));
}

// On the calling thread: for process exit, when no asynchronous work will run any more.
// With the WAL off it is what keeps the acknowledged writes of an ending process. When a
// close() already runs, it flushes itself: wait for it to finish instead.
Napi::Value Database::FlushSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (AddonData::Of(env)->openDatabases.count(this) == 0) ThrowClosed(env, "Database");
  CheckNoBackgroundError(env);
  if (readOnly_ || !gate_.EnterOrAwaitClose()) return env.Undefined();
  rocksdb::Status status = FlushLiveFamilies();
  gate_.Leave();
  CheckWrite(env, status);
  return env.Undefined();
}

Napi::Value Database::CompactRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  CompactRangeWork work;
  work.db = this;
  if (!info[1].IsUndefined() && !info[1].IsNull()) {
    work.hasBegin = true;
    work.begin = BytesArg(info[1], "begin").ToString();
  }
  if (!info[2].IsUndefined() && !info[2].IsNull()) {
    work.hasEnd = true;
    work.end = BytesArg(info[2], "end").ToString();
  }
  if (work.hasBegin && work.hasEnd) CheckRange(env, work.begin, work.end, "compactRange");
  work.family = UseFamily(info[0]);
  return RunAsync(env, this, Value(), "rocksdb-keyed-state:compactRange", std::move(work));
}

Napi::Value Database::GetProperty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  std::string name = StringArg(info[0], "property name");
  rocksdb::ColumnFamilyHandle* handle =
      info[1].IsUndefined() ? base_->DefaultColumnFamily() : ColumnFamilyArg(info[1]).handle;
  std::string value;
  if (!base_->GetProperty(handle, name, &value)) return env.Undefined();
  return Napi::String::New(env, value);
}

Napi::Value Database::ApproximateSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  const ColumnFamily& family = ColumnFamilyArg(info[0]);
  rocksdb::Range range(BytesArg(info[1], "begin"), BytesArg(info[2], "end"));
  if (!CheckRange(env, range.start, range.limit, "approximateSize")) return Napi::Number::New(env, 0);
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  uint64_t size = 0;
  CheckStatus(env, base_->GetApproximateSizes(options, family.handle, &range, 1, &size));
  return Napi::Number::New(env, double(size));
}

}  // namespace rks
