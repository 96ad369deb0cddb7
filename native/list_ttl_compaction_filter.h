// Compaction removes a timestamped list's expired elements (see timestamped_list.h), and the
// whole entry once no live element is left, as Flink's list compaction filter does.
// DBWithTTL wraps this filter and hands it the value without its outer 4-byte stamp. A
// filter sees whole values only; lists still held as merge operands lose their expired
// elements when a compaction merges them (the merge operator drops them).
#pragma once

#include <rocksdb/compaction_filter.h>

#include <memory>
#include <string>

#include "timestamped_list.h"

namespace rks {

class ListTtlCompactionFilter : public rocksdb::CompactionFilter {
 public:
  ListTtlCompactionFilter(int32_t ttlSeconds, int64_t now) : ttlSeconds_(ttlSeconds), now_(now) {}

  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string* newValue,
              bool* valueChanged) const override {
    const ListScan scan = ScanList(value, ttlSeconds_, now_);
    if (!scan.wellFormed) return false;  // never drop what cannot be read
    if (scan.live == 0) return true;
    if (scan.expired == 0) return false;
    newValue->clear();
    AppendLiveElements(value, ttlSeconds_, now_, newValue);
    *valueChanged = true;
    return false;
  }

  const char* Name() const override { return "RksListTtlCompactionFilter"; }

 private:
  int32_t ttlSeconds_;
  int64_t now_;
};

// One filter per compaction, with the TTL in force and the time when the compaction starts.
class ListTtlCompactionFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  explicit ListTtlCompactionFilterFactory(std::shared_ptr<const TimestampedListTtl> ttl) : ttl_(std::move(ttl)) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(const rocksdb::CompactionFilter::Context&) override {
    const int32_t ttlSeconds = ttl_->ttlSeconds();
    int64_t now = 0;
    if (ttlSeconds <= 0 || !ttl_->Now(&now)) return nullptr;  // no filter: keep everything
    return std::make_unique<ListTtlCompactionFilter>(ttlSeconds, now);
  }

  const char* Name() const override { return "RksListTtlCompactionFilterFactory"; }

 private:
  std::shared_ptr<const TimestampedListTtl> ttl_;
};

}  // namespace rks
