// The merge operators: RocksDB merge as "append" the stored value then every operand, in
// one pass (FullMergeV2), never one copy of the growing value per operand as an
// AssociativeMergeOperator would do.
#pragma once

#include <rocksdb/merge_operator.h>

#include <deque>
#include <memory>
#include <string>

#include "timestamped_list.h"

namespace rks {

// Joins with a one-byte delimiter: RocksDB's stringappend semantics, what raw users of the
// native layer get (',' unless `mergeDelimiter` says otherwise).
class DelimitedAppendOperator : public rocksdb::MergeOperator {
 public:
  explicit DelimitedAppendOperator(char delimiter) : delimiter_(delimiter) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::string& merged = out->new_value;
    merged.clear();
    bool first = true;
    if (in.existing_value != nullptr) Append(&merged, *in.existing_value, &first);
    for (const auto& operand : in.operand_list) Append(&merged, operand, &first);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands, std::string* merged,
                         rocksdb::Logger*) const override {
    merged->clear();
    bool first = true;
    for (const auto& operand : operands) Append(merged, operand, &first);
    return true;
  }

  const char* Name() const override { return "RksDelimitedAppendOperator"; }

 private:
  void Append(std::string* merged, const rocksdb::Slice& part, bool* first) const {
    if (!*first) merged->push_back(delimiter_);
    *first = false;
    merged->append(part.data(), part.size());
  }

  char delimiter_;
};

// Concatenates timestamped lists (timestamped_list.h), leaving out the elements that have
// expired: a list RocksDB combines, in a read or a compaction, is cleaned up at once.
class TimestampedListMergeOperator : public rocksdb::MergeOperator {
 public:
  explicit TimestampedListMergeOperator(std::shared_ptr<const TimestampedListTtl> ttl) : ttl_(std::move(ttl)) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    out->new_value.clear();
    int32_t ttlSeconds;
    int64_t now;
    Expiry(&ttlSeconds, &now);
    if (in.existing_value != nullptr) AppendLiveElements(*in.existing_value, ttlSeconds, now, &out->new_value);
    for (const auto& operand : in.operand_list) AppendLiveElements(operand, ttlSeconds, now, &out->new_value);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands, std::string* merged,
                         rocksdb::Logger*) const override {
    merged->clear();
    int32_t ttlSeconds;
    int64_t now;
    Expiry(&ttlSeconds, &now);
    for (const auto& operand : operands) AppendLiveElements(operand, ttlSeconds, now, merged);
    return true;
  }

  const char* Name() const override { return "RksTimestampedListMergeOperator"; }

 private:
  // The TTL in force and now; a TTL of 0 (nothing expires) when the clock fails.
  void Expiry(int32_t* ttlSeconds, int64_t* now) const {
    *ttlSeconds = ttl_->ttlSeconds();
    *now = 0;
    if (*ttlSeconds > 0 && !ttl_->Now(now)) *ttlSeconds = 0;
  }

  std::shared_ptr<const TimestampedListTtl> ttl_;
};

}  // namespace rks
