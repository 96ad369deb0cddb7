// A RocksDB DBWithTTL instance: column families with one TTL each, point reads and
// writes (synchronous: the hot path), batches, and the lifetime of everything on it.
#pragma once

#include <napi.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/db_ttl.h>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "operation_gate.h"
#include "resource.h"

namespace rks {

class Snapshot;
class TimestampedListTtl;
struct CreateColumnFamilyWork;

struct ColumnFamily {
  std::string name;
  rocksdb::ColumnFamilyHandle* handle = nullptr;  // null once dropped
  // The TTL DBWithTTL applies to whole values (compaction, skipExpired reads). 0 for a
  // timestamped list: its elements expire one by one, with listTtl's TTL.
  int32_t ttlSeconds = 0;
  std::shared_ptr<TimestampedListTtl> listTtl;  // timestamped lists only
};

// The write time of every value is appended by us (see ttl_value.h); `raw` writes keep it.
enum ReadFlags : uint32_t { kReadRaw = 1, kReadSkipExpired = 2 };

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
  const ColumnFamily& ColumnFamilyArg(const Napi::Value& value) const;
  Snapshot* SnapshotArg(const Napi::Value& value) const;  // null for undefined
  int64_t NowSeconds() const;
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
  Napi::Value Put(const Napi::CallbackInfo& info);
  Napi::Value PutRaw(const Napi::CallbackInfo& info);
  Napi::Value Merge(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value DeleteRange(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value NewBatch(const Napi::CallbackInfo& info);
  Napi::Value NewIterator(const Napi::CallbackInfo& info);
  Napi::Value NewSnapshot(const Napi::CallbackInfo& info);
  Napi::Value NewSstWriter(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
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
  void ReleaseResources();
  void StartClose(Napi::Env env);
  void FinishClose(Napi::Env env, const rocksdb::Status& status);
  rocksdb::Status DestroyDb();

  State state_ = State::kNew;
  rocksdb::DBWithTTL* db_ = nullptr;
  rocksdb::DB* base_ = nullptr;
  std::unique_ptr<rocksdb::Env> env_;  // owns the test-clock Env when one is used
  std::shared_ptr<rocksdb::SystemClock> clock_;
  std::shared_ptr<rocksdb::MergeOperator> mergeOperator_;
  std::shared_ptr<rocksdb::TableFactory> tableFactory_;
  std::vector<ColumnFamily> columnFamilies_;
  rocksdb::WriteOptions writeOptions_;
  rocksdb::WriteBatch scratch_;  // reused by single writes: no allocation per put
  std::unordered_set<Resource*> resources_;
  OperationGate gate_;
  int pending_ = 0;
  bool closeStarted_ = false;
  std::vector<Napi::Promise::Deferred> closeWaiters_;
};

}  // namespace rks
