// The write batch lib/native/write-batch.ts encodes in JS and db.write() hands over whole:
// one native crossing per batch instead of one per operation. Little-endian, per operation:
//   u8 op | u32 column family id | u32 key length | key | (put, putRaw, merge:) u32 value length | value
//                                                         (deleteRange:)        u32 end length | end
#pragma once

#include <napi.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <vector>

namespace rks {

class Database;

enum class BatchOp : uint8_t { kPut = 0, kPutRaw = 1, kMerge = 2, kDelete = 3, kDeleteRange = 4 };

class BatchDecoder {
 public:
  // Decodes `encoded` into `out` (cleared first), values stamped with `now` unless raw. Throws
  // before anything reaches RocksDB: on a column family that was dropped (RocksDB would fail
  // the write midway, and then refuse every later one), a write time whose expiry would not
  // fit DBWithTTL's int32 seconds, a reversed range or a malformed encoding.
  void Decode(Napi::Env env, const Database& db, const rocksdb::Slice& encoded, int64_t now, rocksdb::WriteBatch* out);

 private:
  struct Op {
    BatchOp op;
    uint32_t id;
    uint32_t index;  // position in the batch
    rocksdb::Slice key, second;  // second: the value, or the end of a range
  };
  std::vector<Op> ops_;  // reused: no allocation per batch
};

}  // namespace rks
