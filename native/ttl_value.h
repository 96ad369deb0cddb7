// The value layout of rocksdb::DBWithTTL: user bytes followed by the write time as a
// 4-byte little-endian int32 of seconds. Writing it ourselves lets raw values (from a
// snapshot or another instance) go back in unchanged, keeping their original expiry.
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include <cstdint>

namespace rks {

constexpr size_t kTimestampLength = 4;

inline void EncodeTimestamp(char* out, int64_t seconds) {
  uint32_t value = static_cast<uint32_t>(static_cast<int32_t>(seconds));
  out[0] = static_cast<char>(value & 0xff);
  out[1] = static_cast<char>((value >> 8) & 0xff);
  out[2] = static_cast<char>((value >> 16) & 0xff);
  out[3] = static_cast<char>((value >> 24) & 0xff);
}

inline int32_t DecodeTimestamp(const rocksdb::Slice& raw) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + raw.size() - kTimestampLength);
  return static_cast<int32_t>(uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24));
}

// A stored value too short to hold its timestamp is corrupt.
inline rocksdb::Status CheckRawValue(const rocksdb::Slice& raw) {
  if (raw.size() < kTimestampLength) {
    return rocksdb::Status::Corruption("value is shorter than its TTL timestamp");
  }
  return rocksdb::Status::OK();
}

// A raw value given to write must end with its 4-byte timestamp.
inline rocksdb::Status CheckRawWrite(const rocksdb::Slice& raw) {
  if (raw.size() < kTimestampLength) {
    return rocksdb::Status::InvalidArgument("a raw value must end with its 4-byte TTL timestamp");
  }
  return rocksdb::Status::OK();
}

// DBWithTTL's own rule (DBWithTTLImpl::IsStale): stale once timestamp + ttl < now.
inline bool IsExpired(const rocksdb::Slice& raw, int32_t ttlSeconds, int64_t nowSeconds) {
  return ttlSeconds > 0 && int64_t(DecodeTimestamp(raw)) + ttlSeconds < nowSeconds;
}

inline rocksdb::Slice StripTimestamp(const rocksdb::Slice& raw) {
  return rocksdb::Slice(raw.data(), raw.size() - kTimestampLength);
}

// Adds a put or merge of `value` to `batch`: stamped with `nowSeconds`, or as it is when
// raw (it already ends with its timestamp). The pieces go in without an extra copy.
inline rocksdb::Status AddStampedWrite(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family,
                                       const rocksdb::Slice& key, const rocksdb::Slice& value, bool merge,
                                       bool raw, int64_t nowSeconds) {
  if (raw) {
    rocksdb::Status status = CheckRawWrite(value);
    if (!status.ok()) return status;
  }
  char timestamp[kTimestampLength];
  EncodeTimestamp(timestamp, nowSeconds);
  rocksdb::Slice valueParts[2] = {value, rocksdb::Slice(timestamp, kTimestampLength)};
  rocksdb::SliceParts keySlices(&key, 1);
  rocksdb::SliceParts valueSlices(valueParts, raw ? 1 : 2);
  return merge ? batch.Merge(family, keySlices, valueSlices) : batch.Put(family, keySlices, valueSlices);
}

}  // namespace rks
