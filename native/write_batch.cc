#include "write_batch.h"

#include <algorithm>
#include <string>

#include "args.h"
#include "database.h"
#include "errors.h"
#include "little_endian.h"
#include "ttl_value.h"

namespace rks {

namespace {

// Operations kept between batches; a huge batch gives its memory back.
constexpr size_t kKeptOps = 1 << 16;

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

void BatchDecoder::Decode(Napi::Env env, const Database& db, const rocksdb::Slice& encoded, int64_t now,
                          rocksdb::WriteBatch* out) {
  if (ops_.capacity() > kKeptOps) std::vector<Op>().swap(ops_);
  ops_.clear();
  bool ranges = false;
  BatchReader reader(env, encoded);
  while (!reader.done()) {
    Op op;
    op.op = BatchOp(reader.Byte());
    if (op.op > BatchOp::kDeleteRange) {
      throw MakeError(env, "InvalidArgument", "malformed write batch encoding: unknown operation " + std::to_string(int(op.op)));
    }
    op.id = reader.U32();
    if (!db.IsLive(op.id)) {
      throw MakeError(env, "ColumnFamilyNotFound",
                      "the batch holds writes for column family " + std::to_string(op.id) + ", dropped since");
    }
    op.index = uint32_t(ops_.size());
    op.key = reader.Bytes();
    if (op.op != BatchOp::kDelete) op.second = reader.Bytes();
    ranges = ranges || op.op == BatchOp::kDeleteRange;
    ops_.push_back(op);
  }
  // Inserted in key order, RocksDB's memtable skip list finds each place from the last one
  // instead of from the top (about 10% of a 1000-entry write of random keys). Point operations
  // on different keys commute, the index keeps those on one key in order, and the batch is
  // applied atomically, so nobody sees the difference. A range deletion covers only what
  // comes before it in the batch: with one, the order stays as it is.
  if (!ranges) {
    std::sort(ops_.begin(), ops_.end(), [](const Op& a, const Op& b) {
      if (a.id != b.id) return a.id < b.id;
      int order = a.key.compare(b.key);
      return order != 0 ? order < 0 : a.index < b.index;
    });
  }
  out->Clear();
  for (const Op& op : ops_) {
    const ColumnFamily& family = db.FamilyAt(op.id);
    switch (op.op) {
      case BatchOp::kPut:
      case BatchOp::kPutRaw:
      case BatchOp::kMerge: {
        const bool raw = op.op == BatchOp::kPutRaw;
        const int64_t writeTime = db.WriteTime(env, family, op.second, raw, now);
        CheckStatus(env, AddStampedWrite(*out, family.handle, op.key, op.second, op.op == BatchOp::kMerge, raw, writeTime));
        break;
      }
      case BatchOp::kDelete:
        CheckStatus(env, out->Delete(family.handle, op.key));
        break;
      case BatchOp::kDeleteRange:
        if (CheckRange(env, op.key, op.second, "deleteRange")) {
          CheckStatus(env, out->DeleteRange(family.handle, op.key, op.second));
        }
        break;
    }
  }
}

}  // namespace rks
