// The ceiling of bench:native: the same workloads on the same data as bench/drivers/run-trial.ts,
// in C++ straight on RocksDB, no Node. One trial per process, like the Node drivers:
//
//   ceiling <put|get|batchPut|getMany|scan> <keys> <dir>    one JSON line (run-trial.ts's TrialResult)
//
// The database is opened as native/database.cc opens it for RocksDB.open() with default options
// (DBWithTTL, the default column family without TTL, the addon's merge operator, table properties
// collector, block-based table with a 10-bit bloom filter and the addon's block cache (native/block_cache.h), memtable
// bloom; WAL on, unsynced), and written as the addon writes: values stamped with the 4-byte write
// time through the base DB. Keep it in step with database.cc's Open and ColumnFamilyOptionsFor.
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/db_ttl.h>
#include <rocksdb/version.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../native/block_cache.h"
#include "../../native/info_log.h"
#include "../../native/latest_write_time.h"
#include "../../native/merge_operator.h"
#include "../../native/open_defaults.h"
#include "../../native/ttl_value.h"
#include "data.h"

namespace {

using ceiling::Dataset;
using ceiling::kKeyBytes;
using ceiling::kValueBytes;
using Clock = std::chrono::steady_clock;

// As bench/drivers/run-trial.ts.
constexpr size_t kBatchPutSize = 1000;
constexpr size_t kGetManySize = 100;

void Check(const rocksdb::Status& status, const char* what) {
  if (!status.ok()) throw std::runtime_error(std::string(what) + ": " + status.ToString());
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long RssMB() {
  long pages = 0;
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%*s %ld", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  return pages * 4096 / (1 << 20);
}

// run-trial.ts's TrialClock: untimed phases, one pair of readings around the timed part.
class TrialClock {
 public:
  void Phase(const std::string& name) {
    const auto now = Clock::now();
    phases_[name] += std::chrono::duration<double>(now - mark_).count();
    mark_ = now;
  }
  void Start() {
    Phase("other");
    cpuAtStart_ = CpuSeconds();
    start_ = Clock::now();
  }
  double Stop() {
    const auto now = Clock::now();
    cpuSeconds_ = CpuSeconds() - cpuAtStart_;
    mark_ = now;
    return std::chrono::duration<double>(now - start_).count();
  }
  double cpuSeconds() const { return cpuSeconds_; }
  const std::map<std::string, double>& phases() const { return phases_; }

 private:
  std::map<std::string, double> phases_;
  Clock::time_point mark_ = Clock::now();
  Clock::time_point start_;
  double cpuAtStart_ = 0;
  double cpuSeconds_ = 0;
};

rocksdb::Slice KeyOf(const Dataset& data, size_t i) { return {reinterpret_cast<const char*>(data.Key(i)), kKeyBytes}; }
rocksdb::Slice ValueOf(const Dataset& data, size_t i) { return {reinterpret_cast<const char*>(data.Value(i)), kValueBytes}; }

class Store {
 public:
  explicit Store(const std::string& path) {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    rocksdb::Env::Default()->CreateDirIfMissing(path);
    options.info_log = std::make_shared<rks::TolerantInfoLog>(path);

    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.block_cache = rks::NewBlockCache(rks::kDefaultBlockCacheBytes);
    rocksdb::ColumnFamilyOptions family;
    family.merge_operator = std::make_shared<rks::DelimitedAppendOperator>(',');
    family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    family.write_buffer_size = rks::kDefaultWriteBufferBytes;
    family.table_properties_collector_factories.push_back(std::make_shared<rks::LatestWriteTimeCollectorFactory>());
    family.memtable_whole_key_filtering = true;
    family.memtable_prefix_bloom_size_ratio = 0.02;

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{{rocksdb::kDefaultColumnFamilyName, family}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    Check(rocksdb::DBWithTTL::Open(options, path, descriptors, &handles, &ttlDb_, {0}, false), "open");
    handle_ = handles[0];
    db_ = ttlDb_->GetBaseDB();
    writeOptions_.disableWAL = false;  // the addon's default: WAL on, unsynced
  }

  ~Store() {
    ttlDb_->DestroyColumnFamilyHandle(handle_);
    ttlDb_->Close();
    delete ttlDb_;
  }

  // Database::WriteValue: one stamped put in a reused batch, one Write.
  void Put(const rocksdb::Slice& key, const rocksdb::Slice& value) {
    scratch_.Clear();
    Check(rks::AddStampedWrite(scratch_, handle_, key, value, false, false, std::time(nullptr)), "put");
    Check(db_->Write(writeOptions_, &scratch_), "write");
  }

  void BatchPut(const Dataset& data, size_t start, size_t end) {
    const int64_t now = std::time(nullptr);
    batch_.Clear();
    for (size_t i = start; i < end; ++i) {
      Check(rks::AddStampedWrite(batch_, handle_, KeyOf(data, i), ValueOf(data, i), false, false, now), "batch put");
    }
    Check(db_->Write(writeOptions_, &batch_), "write");
  }

  void Load(const Dataset& data) {
    for (size_t start = 0; start < data.count; start += kBatchPutSize) BatchPut(data, start, std::min(start + kBatchPutSize, data.count));
  }

  // Value bytes without the stamp: what a Node get returns. The checksum of run-trial.ts.
  static uint64_t Touch(const rocksdb::Slice& stored) {
    return uint64_t(uint8_t(stored[0])) + (stored.size() - rks::kTimestampLength);
  }

  uint64_t Get(const rocksdb::Slice& key) {
    value_.Reset();
    Check(db_->Get(rocksdb::ReadOptions(), handle_, key, &value_), "get");
    return Touch(value_);
  }

  uint64_t GetMany(const std::vector<rocksdb::Slice>& keys) {
    values_.resize(keys.size());
    statuses_.resize(keys.size());
    db_->MultiGet(rocksdb::ReadOptions(), handle_, keys.size(), keys.data(), values_.data(), statuses_.data());
    uint64_t sum = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      Check(statuses_[i], "multiget");
      sum += Touch(values_[i]);
      values_[i].Reset();
    }
    return sum;
  }

  // Visits up to `limit` entries in key order; returns {count, checksum}.
  std::pair<size_t, uint64_t> Scan(size_t limit) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle_));
    size_t count = 0;
    uint64_t sum = 0;
    for (it->SeekToFirst(); it->Valid() && count < limit; it->Next(), ++count) sum += Touch(it->value());
    Check(it->status(), "scan");
    return {count, sum};
  }

 private:
  rocksdb::DBWithTTL* ttlDb_ = nullptr;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* handle_ = nullptr;
  rocksdb::WriteOptions writeOptions_;
  rocksdb::WriteBatch scratch_;
  rocksdb::WriteBatch batch_;
  rocksdb::PinnableSlice value_;
  std::vector<rocksdb::PinnableSlice> values_;
  std::vector<rocksdb::Status> statuses_;
};

uint64_t ExpectedSum(const Dataset& data, const std::vector<uint32_t>& order) {
  uint64_t sum = 0;
  for (uint32_t i : order) sum += data.Value(i)[0] + kValueBytes;
  return sum;
}

void Expect(const char* what, uint64_t actual, uint64_t expected) {
  if (actual != expected) {
    throw std::runtime_error(std::string(what) + ": got " + std::to_string(actual) + ", expected " + std::to_string(expected));
  }
}

struct Timed {
  size_t ops;
  double seconds;
};

// run-trial.ts's runWorkload, case by case.
Timed RunWorkload(Store& store, const std::string& workload, size_t keys, TrialClock& clock, uint32_t* checksum) {
  const Dataset data = ceiling::Generate(keys);
  const std::vector<uint32_t> order = ceiling::Permutation(keys);
  *checksum = ceiling::DataChecksum(data, order);
  clock.Phase("data");
  const size_t warmupCount = std::min<size_t>(10'000, std::max<size_t>(1, keys / 10));

  if (workload == "put" || workload == "batchPut") {
    const Dataset warm = ceiling::Generate(warmupCount, ceiling::kDefaultSeed + 1);
    if (workload == "put") {
      for (size_t i = 0; i < warmupCount; ++i) store.Put(KeyOf(warm, i), ValueOf(warm, i));
      clock.Start();
      for (size_t i = 0; i < keys; ++i) store.Put(KeyOf(data, i), ValueOf(data, i));
      return {keys, clock.Stop()};
    }
    store.Load(warm);
    clock.Start();
    for (size_t s = 0; s < keys; s += kBatchPutSize) store.BatchPut(data, s, std::min(s + kBatchPutSize, keys));
    return {keys, clock.Stop()};
  }

  clock.Phase("other");
  store.Load(data);
  clock.Phase("load");
  const std::vector<uint32_t> warmOrder = ceiling::Permutation(keys, ceiling::kDefaultSeed + 2);
  if (workload == "get") {
    for (size_t i = 0; i < warmupCount; ++i) store.Get(KeyOf(data, warmOrder[i]));
    uint64_t sum = 0;
    clock.Start();
    for (size_t i = 0; i < keys; ++i) sum += store.Get(KeyOf(data, order[i]));
    const double seconds = clock.Stop();
    Expect("get checksum", sum, ExpectedSum(data, order));
    return {keys, seconds};
  }
  if (workload == "getMany") {
    auto batchOf = [&data](const std::vector<uint32_t>& indices, size_t start, size_t end) {
      std::vector<rocksdb::Slice> batch;
      for (size_t i = start; i < end; ++i) batch.push_back(KeyOf(data, indices[i]));
      return batch;
    };
    std::vector<std::vector<rocksdb::Slice>> batches;
    for (size_t s = 0; s < keys; s += kGetManySize) batches.push_back(batchOf(order, s, std::min(s + kGetManySize, keys)));
    for (size_t s = 0; s + kGetManySize <= warmupCount; s += kGetManySize) store.GetMany(batchOf(warmOrder, s, s + kGetManySize));
    uint64_t sum = 0;
    clock.Start();
    for (const auto& batch : batches) sum += store.GetMany(batch);
    const double seconds = clock.Stop();
    Expect("getMany checksum", sum, ExpectedSum(data, order));
    return {keys, seconds};
  }
  if (workload == "scan") {
    store.Scan(warmupCount);
    clock.Start();
    const auto [count, sum] = store.Scan(SIZE_MAX);
    const double seconds = clock.Stop();
    Expect("scan count", count, keys);
    Expect("scan checksum", sum, ExpectedSum(data, order));  // every value once, in any order
    return {count, seconds};
  }
  throw std::runtime_error("unknown workload '" + workload + "'");
}

std::string Json(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::strspn(argv[2], "0123456789") != std::strlen(argv[2]) || argv[2][0] == '\0') {
    std::fprintf(stderr, "usage: ceiling <put|get|batchPut|getMany|scan> <keys> <dir>\n");
    return 2;
  }
  const std::string workload = argv[1];
  const size_t keys = std::strtoull(argv[2], nullptr, 10);
  try {
    TrialClock clock;
    auto store = std::make_unique<Store>(argv[3]);
    clock.Phase("open");
    uint32_t checksum = 0;
    const Timed timed = RunWorkload(*store, workload, keys, clock, &checksum);
    const long rss = RssMB();
    clock.Phase("other");
    store.reset();
    clock.Phase("close");
    const std::string version = std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." + std::to_string(ROCKSDB_PATCH);
    std::string phases;
    for (const auto& [name, seconds] : clock.phases()) phases += (phases.empty() ? "" : ",") + Json(name) + ":" + std::to_string(seconds);
    std::printf(
        "{\"driver\":\"ceiling\",\"workload\":%s,\"keys\":%zu,\"ops\":%zu,\"seconds\":%.9f,\"opsPerSecond\":%.3f,"
        "\"cpuSeconds\":%.6f,\"sync\":true,\"describe\":%s,\"notes\":[%s],\"rssMB\":%ld,\"phases\":{%s},\"dataChecksum\":%u}\n",
        Json(workload).c_str(), keys, timed.ops, timed.seconds, double(timed.ops) / timed.seconds, clock.cpuSeconds(),
        Json("RocksDB " + version + " (C++ on the bundled static release build, no Node: the ceiling)").c_str(),
        Json("opened and written as the addon does (DBWithTTL, stamped values through the base DB, WAL on unsynced)").c_str(), rss,
        phases.c_str(), checksum);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ceiling %s %zu: %s\n", workload.c_str(), keys, error.what());
    return 1;
  }
}
