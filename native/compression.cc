#include "compression.h"

#include <zstd.h>

#include <memory>
#include <string>

#include "args.h"
#include "async.h"

namespace rks {
namespace {

// One context per thread-pool thread, reused for every frame: a context costs far more to set up
// than a 256 KiB frame takes to compress at a fast level.
ZSTD_CCtx* ThreadCompressionContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  return context.get();
}

ZSTD_DCtx* ThreadDecompressionContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  return context.get();
}

// The input is read in the thread pool: the work keeps its Buffer alive (the operation's owner).
struct CodecWork : WorkBase {
  const char* input;
  size_t length;
  std::string output;
  Napi::Value Result(Napi::Env env) { return Napi::Buffer<char>::Copy(env, output.data(), output.size()); }
};

struct CompressWork : CodecWork {
  int level;
  rocksdb::Status Execute() {
    ZSTD_CCtx* context = ThreadCompressionContext();
    if (context == nullptr) return rocksdb::Status::MemoryLimit("zstd: cannot allocate a compression context");
    output.resize(ZSTD_compressBound(length));
    size_t written = ZSTD_compressCCtx(context, output.data(), output.size(), input, length, level);
    if (ZSTD_isError(written)) return rocksdb::Status::Aborted(std::string("zstd: ") + ZSTD_getErrorName(written));
    output.resize(written);
    return rocksdb::Status::OK();
  }
};

struct DecompressWork : CodecWork {
  size_t rawLength;
  rocksdb::Status Execute() {
    // The frame must declare exactly the length its header gives, before anything is allocated.
    unsigned long long declared = ZSTD_getFrameContentSize(input, length);
    if (declared != rawLength) {
      return rocksdb::Status::Corruption("zstd: the frame declares " + std::to_string(declared) + " bytes, expected " +
                                         std::to_string(rawLength));
    }
    ZSTD_DCtx* context = ThreadDecompressionContext();
    if (context == nullptr) return rocksdb::Status::MemoryLimit("zstd: cannot allocate a decompression context");
    output.resize(rawLength);
    size_t written = ZSTD_decompressDCtx(context, output.data(), output.size(), input, length);
    if (ZSTD_isError(written)) return rocksdb::Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(written));
    if (written != rawLength) return rocksdb::Status::Corruption("zstd: the frame decompresses to another length than it declares");
    return rocksdb::Status::OK();
  }
};

}  // namespace

Napi::Value ZstdCompress(const Napi::CallbackInfo& info) {
  rocksdb::Slice raw = BytesArg(info[0], "raw");
  double level = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
  if (!(level >= ZSTD_minCLevel() && level <= ZSTD_maxCLevel()) || level != static_cast<int>(level)) {
    throw Napi::RangeError::New(info.Env(), "level must be an integer zstd compression level");
  }
  CompressWork work;
  work.input = raw.data();
  work.length = raw.size();
  work.level = static_cast<int>(level);
  return RunAsync(info.Env(), nullptr, info[0].As<Napi::Object>(), "rocksdb-keyed-state:zstdCompress", std::move(work));
}

Napi::Value ZstdDecompress(const Napi::CallbackInfo& info) {
  rocksdb::Slice compressed = BytesArg(info[0], "compressed");
  DecompressWork work;
  work.input = compressed.data();
  work.length = compressed.size();
  work.rawLength = Uint32Arg(info[1], "rawLength");
  return RunAsync(info.Env(), nullptr, info[0].As<Napi::Object>(), "rocksdb-keyed-state:zstdDecompress", std::move(work));
}

}  // namespace rks
