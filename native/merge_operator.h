// List state appends with RocksDB merge: operands are joined with a one-byte delimiter,
// the semantics of RocksDB's stringappend operator (list state uses ',' as Flink does).
// Our own operator so the delimiter is configurable on every RocksDB version we build with.
#pragma once

#include <rocksdb/merge_operator.h>

namespace rks {

class DelimitedAppendOperator : public rocksdb::AssociativeMergeOperator {
 public:
  explicit DelimitedAppendOperator(char delimiter) : delimiter_(delimiter) {}

  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* merged, rocksdb::Logger*) const override {
    merged->clear();
    if (existing == nullptr) {
      merged->assign(value.data(), value.size());
      return true;
    }
    merged->reserve(existing->size() + 1 + value.size());
    merged->append(existing->data(), existing->size());
    merged->push_back(delimiter_);
    merged->append(value.data(), value.size());
    return true;
  }

  const char* Name() const override { return "RksDelimitedAppendOperator"; }

 private:
  char delimiter_;
};

}  // namespace rks
