// A RocksDB DBWithTTL instance: column families with one TTL each, point reads and
// writes (synchronous: the hot path), batches, and the lifetime of everything on it.
#pragma once

#include <napi.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/db_ttl.h>

#include <climits>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "background_error.h"
#include "memory_budget.h"
#include "open_defaults.h"
#include "operation_gate.h"
#include "read_pool.h"
#include "resource.h"
#include "write_batch.h"

namespace rks {

class Snapshot;
class Database;
class TimestampedListTtl;
struct CreateColumnFamilyWork;

struct ColumnFamily {
  std::string name;
  rocksdb::ColumnFamilyHandle* handle = nullptr;  // null once destroyed
  // The TTL DBWithTTL applies to whole values (compaction, skipExpired reads). 0 for a
  // timestamped list: its elements expire one by one, with listTtl's TTL.
  int32_t ttlSeconds = 0;
  std::shared_ptr<TimestampedListTtl> listTtl;  // timestamped lists only
  bool dropped = false;  // refused as an argument from the moment the drop is asked for
  int users = 0;         // FamilyUses: the handle of a dropped family lives until the last ends
  // The latest write time stamped by this instance (memtables included; SST files record
  // their own). Mutable: stamping a write (Database::WriteTime) records it.
  mutable int64_t latestWriteTime = INT32_MIN;
};

// A column family handle in use by work on the thread pool or by an SST writer, so that
// dropping the family never destroys the handle under it. Main thread only.
class FamilyUse {
 public:
  FamilyUse() = default;
  FamilyUse(Database* db, uint32_t id);
  FamilyUse(FamilyUse&& other) noexcept { *this = std::move(other); }
  FamilyUse& operator=(FamilyUse&& other) noexcept;
  FamilyUse(const FamilyUse&) = delete;
  FamilyUse& operator=(const FamilyUse&) = delete;
  ~FamilyUse() { Release(); }

  rocksdb::ColumnFamilyHandle* handle() const { return handle_; }
  const ColumnFamily& family() const;
  void Release();

 private:
  Database* db_ = nullptr;
  uint32_t id_ = 0;
  rocksdb::ColumnFamilyHandle* handle_ = nullptr;
};

// The write time of every value is appended by us (see ttl_value.h); `raw` writes keep it.
enum ReadFlags : uint32_t { kReadRaw = 1, kReadSkipExpired = 2 };

// Why a TTL cannot be set on a family holding a value written at `latestWriteTime` (see
// Database::TtlRefusal); empty when it can.
std::string TtlRefusalFor(const std::string& family, int32_t ttlSeconds, int64_t latestWriteTime);

class Database : public Napi::ObjectWrap<Database> {
 public:
  static constexpr napi_type_tag kTypeTag = {0x1b2c3d4e5f607182, 0x93a4b5c6d7e8f901};
  static Napi::Function Init(Napi::Env env);
  explicit Database(const Napi::CallbackInfo& info);
  ~Database() override;

  // For the objects that live on a database.
  rocksdb::DB* base() const { return base_; }
  rocksdb::DBWithTTL* ttlDb() const { return db_; }
  const rocksdb::WriteOptions& writeOptions() const { return writeOptions_; }
  bool isOpen() const { return state_ == State::kOpen; }
  void CheckOpen(Napi::Env env) const;
  // CheckOpen, and refuses once RocksDB stopped writes after a background error.
  void CheckWritable(Napi::Env env) const;
  // The error for a failed status: a BackgroundError naming the original cause once
  // RocksDB is in its background-error state, else the status's own.
  Napi::Error ErrorFor(Napi::Env env, const rocksdb::Status& status) const;
  void CheckWrite(Napi::Env env, const rocksdb::Status& status) const;
  void CheckNoBackgroundError(Napi::Env env) const;
  const ColumnFamily& ColumnFamilyArg(const Napi::Value& value) const;
  FamilyUse UseFamily(const Napi::Value& value);
  const ColumnFamily& FamilyAt(uint32_t id) const { return columnFamilies_[id]; }
  bool IsLive(uint32_t id) const { return id < columnFamilies_.size() && !columnFamilies_[id].dropped; }
  Snapshot* SnapshotArg(const Napi::Value& value) const;  // null for undefined
  int64_t NowSeconds() const;
  // The write time to stamp a value of `family` with (its own for raw values, else `now`),
  // refused when its expiry would not fit DBWithTTL's int32 seconds.
  int64_t WriteTime(Napi::Env env, const ColumnFamily& family, const rocksdb::Slice& value, bool raw, int64_t now) const;
  int64_t WriteTime(Napi::Env env, const ColumnFamily& family, const rocksdb::Slice& value, bool raw) const {
    return WriteTime(env, family, value, raw, raw ? 0 : NowSeconds());
  }
  void Attach(Resource* resource) { resources_.insert(resource); }
  void Detach(Resource* resource) { resources_.erase(resource); }
  OperationGate& gate() { return gate_; }
  void OperationStarted() { ++pending_; }
  void OperationFinished(Napi::Env env);
  // Closes at once on the calling thread: environment teardown and GC of an open DB.
  void CloseNow();

 private:
  enum class State { kNew, kOpening, kOpen, kClosing, kClosed };
  friend struct OpenWork;
  friend struct CloseWork;
  friend class FamilyUse;

  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value ColumnFamilies(const Napi::CallbackInfo& info);
  Napi::Value CreateColumnFamily(const Napi::CallbackInfo& info);
  Napi::Value CreateColumnFamilySync(const Napi::CallbackInfo& info);
  Napi::Value SetTtl(const Napi::CallbackInfo& info);
  CreateColumnFamilyWork PrepareColumnFamily(const Napi::CallbackInfo& info);
  Napi::Value DropColumnFamily(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value GetMany(const Napi::CallbackInfo& info);
  Napi::Value ReadPoolChunk(const Napi::CallbackInfo& info);
  Napi::Value ReleaseReadPoolChunk(const Napi::CallbackInfo& info);
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value PutRaw(const Napi::CallbackInfo& info);
  Napi::Value Merge(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value DeleteRange(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value NewIterator(const Napi::CallbackInfo& info);
  Napi::Value NewSnapshot(const Napi::CallbackInfo& info);
  Napi::Value NewSstWriter(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value FlushSync(const Napi::CallbackInfo& info);
  Napi::Value CompactRange(const Napi::CallbackInfo& info);
  Napi::Value GetProperty(const Napi::CallbackInfo& info);
  Napi::Value ApproximateSize(const Napi::CallbackInfo& info);
  Napi::Value NowSecondsMethod(const Napi::CallbackInfo& info);
  // Files (checkpoint.cc).
  Napi::Value Checkpoint(const Napi::CallbackInfo& info);
  Napi::Value CheckpointSync(const Napi::CallbackInfo& info);
  Napi::Value LiveFiles(const Napi::CallbackInfo& info);
  Napi::Value Ingest(const Napi::CallbackInfo& info);
  Napi::Value DeleteFilesInRange(const Napi::CallbackInfo& info);

  Napi::Value WriteValue(const Napi::CallbackInfo& info, bool merge, bool raw);
  rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(int32_t ttlSeconds, int64_t periodicCompactionSeconds,
                                                      const std::shared_ptr<TimestampedListTtl>& listTtl) const;
  std::shared_ptr<TimestampedListTtl> ListTtlFor(bool timestampedList, int32_t ttlSeconds) const;
  int32_t TtlArg(const Napi::Value& value) const;
  int64_t LatestWriteTime(const ColumnFamily& family) const;
  std::string TtlRefusal(const ColumnFamily& family, int32_t ttlSeconds) const;
  void ReleaseFamily(uint32_t id);
  void ReleaseResources();
  void StartClose(Napi::Env env);
  void FinishClose(Napi::Env env, const rocksdb::Status& status);
  rocksdb::Status FlushBeforeClose();
  rocksdb::Status FlushLiveFamilies();
  rocksdb::Status DestroyDb();

  State state_ = State::kNew;
  rocksdb::DBWithTTL* db_ = nullptr;
  rocksdb::DB* base_ = nullptr;
  bool readOnly_ = false;
  size_t writeBufferBytes_ = kDefaultWriteBufferBytes;
  std::unique_ptr<rocksdb::Env> env_;  // owns the test-clock Env when one is used
  std::shared_ptr<rocksdb::SystemClock> clock_;
  std::shared_ptr<rocksdb::MergeOperator> mergeOperator_;
  std::shared_ptr<rocksdb::TableFactory> tableFactory_;
  std::shared_ptr<rocksdb::Cache> ownBlockCache_;  // when not under a budget: back to the pool on close
  MemoryBudget budget_;  // the budget this database is under (empty when none)
  std::shared_ptr<BackgroundErrorListener> backgroundErrors_ = std::make_shared<BackgroundErrorListener>();
  std::vector<ColumnFamily> columnFamilies_;
  rocksdb::WriteOptions writeOptions_;
  ReadPool readPool_;  // where get() puts the values it returns
  BatchDecoder batchDecoder_;
  rocksdb::WriteBatch scratch_;  // reused by every write: no allocation per put or batch
  std::unordered_set<Resource*> resources_;
  OperationGate gate_;
  int pending_ = 0;
  bool closeStarted_ = false;
  std::vector<Napi::Promise::Deferred> closeWaiters_;
};

}  // namespace rks
