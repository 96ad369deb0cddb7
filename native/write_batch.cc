#include "write_batch.h"

#include <cstring>
#include <string>

#include "args.h"
#include "database.h"
#include "errors.h"
#include "little_endian.h"
#include "ttl_value.h"

namespace rks {

namespace {

// Reads the encoding front to back; any read past its end is a malformed batch.
class BatchReader {
 public:
  BatchReader(Napi::Env env, const rocksdb::Slice& encoded) : env_(env), data_(encoded.data()), size_(encoded.size()) {}

  bool done() const { return at_ == size_; }

  uint8_t Byte() {
    Need(1);
    return uint8_t(data_[at_++]);
  }

  uint32_t U32() {
    Need(4);
    at_ += 4;
    return ReadU32LE(data_ + at_ - 4);
  }

  // Length-prefixed bytes, a view into the encoding. Never a null pointer (see BytesArg).
  rocksdb::Slice Bytes() {
    static const char kEmpty[1] = {0};
    uint32_t length = U32();
    Need(length);
    rocksdb::Slice bytes(length == 0 ? kEmpty : data_ + at_, length);
    at_ += length;
    return bytes;
  }

 private:
  void Need(size_t bytes) const {
    if (size_ - at_ < bytes) throw MakeError(env_, "InvalidArgument", "malformed write batch encoding");
  }

  Napi::Env env_;
  const char* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace

void DecodeWriteBatch(Napi::Env env, const Database& db, const rocksdb::Slice& encoded, int64_t now,
                      rocksdb::WriteBatch* out) {
  out->Clear();
  BatchReader reader(env, encoded);
  while (!reader.done()) {
    const auto op = BatchOp(reader.Byte());
    const uint32_t id = reader.U32();
    if (!db.IsLive(id)) {
      throw MakeError(env, "ColumnFamilyNotFound",
                      "the batch holds writes for column family " + std::to_string(id) + ", dropped since");
    }
    const ColumnFamily& family = db.FamilyAt(id);
    const rocksdb::Slice key = reader.Bytes();
    switch (op) {
      case BatchOp::kPut:
      case BatchOp::kPutRaw:
      case BatchOp::kMerge: {
        const rocksdb::Slice value = reader.Bytes();
        const bool raw = op == BatchOp::kPutRaw;
        const int64_t writeTime = db.WriteTime(env, family, value, raw, now);
        CheckStatus(env, AddStampedWrite(*out, family.handle, key, value, op == BatchOp::kMerge, raw, writeTime));
        break;
      }
      case BatchOp::kDelete:
        CheckStatus(env, out->Delete(family.handle, key));
        break;
      case BatchOp::kDeleteRange: {
        const rocksdb::Slice end = reader.Bytes();
        if (CheckRange(env, key, end, "deleteRange")) CheckStatus(env, out->DeleteRange(family.handle, key, end));
        break;
      }
      default:
        throw MakeError(env, "InvalidArgument", "malformed write batch encoding: unknown operation " + std::to_string(int(op)));
    }
  }
}

}  // namespace rks
