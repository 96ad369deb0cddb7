// The value format of keyed list state, and its per-element TTL (Flink's TtlListState).
//
// A timestamped list value is a concatenation of element records, with nothing before,
// between or after them:
//
//   uint32 BE  payload length
//   payload    the element's serialized bytes (may be empty)
//   int32 BE   the element's write time, seconds since the Unix epoch
//
// Each element carries the time it was added, so `add` stays one merge with no read while
// expiry is per element. The column family has no whole-value TTL: DBWithTTL stamps a merge
// result with the time the merge was evaluated, which says nothing about its elements.
// Here an element is expired once write time + ttl < now, DBWithTTL's rule for whole values;
// list state reads (lib/state/list-state.ts) hide it a second earlier, at write time + ttl <= now
// (Flink's rule), so dropping it here never shows a reader anything it would not have hidden.
// Expired elements are dropped whenever RocksDB combines a list (its merge operator, in reads
// and compactions, see merge_operator.h) and by the compaction filter, which also removes a
// list with no live element left (list_ttl_compaction_filter.h).
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/system_clock.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace rks {

constexpr size_t kListElementOverhead = 8;  // length prefix + write time

inline uint32_t DecodeUint32BE(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}

// The elements' TTL of one column family (settable while it is open) and the clock it is
// measured with: the database's, a test clock when one is set.
class TimestampedListTtl {
 public:
  TimestampedListTtl(int32_t ttlSeconds, std::shared_ptr<rocksdb::SystemClock> clock)
      : ttlSeconds_(ttlSeconds), clock_(std::move(clock)) {}

  int32_t ttlSeconds() const { return ttlSeconds_.load(std::memory_order_relaxed); }
  void SetTtl(int32_t ttlSeconds) { ttlSeconds_.store(ttlSeconds, std::memory_order_relaxed); }

  // The time expiry is judged against; false when the clock fails (then nothing expires).
  bool Now(int64_t* now) const { return clock_->GetCurrentTime(now).ok(); }

 private:
  std::atomic<int32_t> ttlSeconds_;
  std::shared_ptr<rocksdb::SystemClock> clock_;
};

// What a pass over a list's records found, with `ttlSeconds` (<= 0: nothing expires) at `now`.
struct ListScan {
  bool wellFormed = true;  // false: not a sequence of complete records
  size_t live = 0;
  size_t expired = 0;
};

inline bool IsElementExpired(const char* record, size_t recordSize, int32_t ttlSeconds, int64_t now) {
  const int32_t writeTime = int32_t(DecodeUint32BE(record + recordSize - 4));
  return ttlSeconds > 0 && int64_t(writeTime) + ttlSeconds < now;
}

inline ListScan ScanList(const rocksdb::Slice& list, int32_t ttlSeconds, int64_t now) {
  ListScan scan;
  for (size_t at = 0; at < list.size();) {
    const size_t left = list.size() - at;
    if (left < kListElementOverhead || DecodeUint32BE(list.data() + at) > left - kListElementOverhead) {
      scan.wellFormed = false;
      return scan;
    }
    const size_t record = DecodeUint32BE(list.data() + at) + kListElementOverhead;
    ++(IsElementExpired(list.data() + at, record, ttlSeconds, now) ? scan.expired : scan.live);
    at += record;
  }
  return scan;
}

// Appends `list` to `out` without its expired elements; a list that is not well formed, or
// has nothing expired, goes in whole (what cannot be read is never dropped).
inline void AppendLiveElements(const rocksdb::Slice& list, int32_t ttlSeconds, int64_t now, std::string* out) {
  const ListScan scan = ttlSeconds > 0 ? ScanList(list, ttlSeconds, now) : ListScan{};
  if (!scan.wellFormed || scan.expired == 0) {
    out->append(list.data(), list.size());
    return;
  }
  for (size_t at = 0; at < list.size();) {
    const size_t record = DecodeUint32BE(list.data() + at) + kListElementOverhead;
    if (!IsElementExpired(list.data() + at, record, ttlSeconds, now)) out->append(list.data() + at, record);
    at += record;
  }
}

}  // namespace rks
