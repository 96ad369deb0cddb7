// The latest write time stored in a column family, recorded in every SST file RocksDB writes
// for it (flushes, compactions, our SST writer) as a table property. A TTL must fit it: see
// Database::TtlRefusal.
#pragma once

#include <rocksdb/iterator.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

#include "ttl_value.h"

namespace rks {

constexpr char kLatestWriteTimeProperty[] = "rocksdb-keyed-state.latest-write-time";

class LatestWriteTimeCollector : public rocksdb::TablePropertiesCollector {
 public:
  rocksdb::Status AddUserKey(const rocksdb::Slice&, const rocksdb::Slice& value, rocksdb::EntryType type,
                             rocksdb::SequenceNumber, uint64_t) override {
    // Puts and merge operands carry DBWithTTL's stamp; deletions carry none.
    if ((type == rocksdb::kEntryPut || type == rocksdb::kEntryMerge) && value.size() >= kTimestampLength) {
      latest_ = std::max<int64_t>(latest_, DecodeTimestamp(value));
    }
    return rocksdb::Status::OK();
  }

  rocksdb::Status Finish(rocksdb::UserCollectedProperties* properties) override {
    (*properties)[kLatestWriteTimeProperty] = std::to_string(latest_);
    return rocksdb::Status::OK();
  }

  rocksdb::UserCollectedProperties GetReadableProperties() const override {
    return {{kLatestWriteTimeProperty, std::to_string(latest_)}};
  }

  const char* Name() const override { return "RksLatestWriteTime"; }

 private:
  int64_t latest_ = INT32_MIN;
};

class LatestWriteTimeCollectorFactory : public rocksdb::TablePropertiesCollectorFactory {
 public:
  rocksdb::TablePropertiesCollector* CreateTablePropertiesCollector(
      rocksdb::TablePropertiesCollectorFactory::Context) override {
    return new LatestWriteTimeCollector();
  }
  const char* Name() const override { return "RksLatestWriteTime"; }
};

// The latest write time a file recorded; false for a file written without the collector.
inline bool RecordedLatestWriteTime(const rocksdb::TableProperties& table, int64_t* latest) {
  auto found = table.user_collected_properties.find(kLatestWriteTimeProperty);
  if (found == table.user_collected_properties.end()) return false;
  *latest = std::max<int64_t>(*latest, std::strtoll(found->second.c_str(), nullptr, 10));
  return true;
}

// Reads every value `it` yields: for data without a record. INT32_MAX (nothing fits) when
// the read fails.
inline int64_t ReadLatestWriteTime(rocksdb::Iterator* it, int64_t latest) {
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->value().size() >= kTimestampLength) latest = std::max<int64_t>(latest, DecodeTimestamp(it->value()));
  }
  return it->status().ok() ? latest : INT32_MAX;
}

}  // namespace rks
