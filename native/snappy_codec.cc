#include "snappy_codec.h"

#include <snappy.h>

#include <string>

#include "args.h"
#include "async.h"

namespace rks {
namespace {

// The input is read in the thread pool: the work keeps its Buffer alive (the operation's owner).
struct SnappyWork : WorkBase {
  const char* input;
  size_t length;
  std::string output;
  Napi::Value Result(Napi::Env env) { return Napi::Buffer<char>::Copy(env, output.data(), output.size()); }
};

struct CompressWork : SnappyWork {
  rocksdb::Status Execute() {
    output.resize(snappy::MaxCompressedLength(length));
    size_t written = 0;
    snappy::RawCompress(input, length, output.data(), &written);
    output.resize(written);
    return rocksdb::Status::OK();
  }
};

struct DecompressWork : SnappyWork {
  size_t rawLength;
  rocksdb::Status Execute() {
    size_t declared = 0;
    if (!snappy::GetUncompressedLength(input, length, &declared) || declared != rawLength) {
      return rocksdb::Status::Corruption("snappy block declares another length than its frame (" + std::to_string(rawLength) + ")");
    }
    output.resize(rawLength);
    if (!snappy::RawUncompress(input, length, output.data())) return rocksdb::Status::Corruption("snappy: corrupt block");
    return rocksdb::Status::OK();
  }
};

}  // namespace

Napi::Value SnappyCompress(const Napi::CallbackInfo& info) {
  rocksdb::Slice raw = BytesArg(info[0], "raw");
  CompressWork work;
  work.input = raw.data();
  work.length = raw.size();
  return RunAsync(info.Env(), nullptr, info[0].As<Napi::Object>(), "rocksdb-keyed-state:snappyCompress", std::move(work));
}

Napi::Value SnappyDecompress(const Napi::CallbackInfo& info) {
  rocksdb::Slice compressed = BytesArg(info[0], "compressed");
  DecompressWork work;
  work.input = compressed.data();
  work.length = compressed.size();
  work.rawLength = Uint32Arg(info[1], "rawLength");
  return RunAsync(info.Env(), nullptr, info[0].As<Napi::Object>(), "rocksdb-keyed-state:snappyDecompress", std::move(work));
}

}  // namespace rks
