// Values returned by point reads, copied into one shared chunk instead of a Buffer each:
// creating a Buffer from C++ (a backing store, an ArrayBuffer, a Uint8Array with Buffer's
// prototype) costs more than the read itself once the block is cached, while JS makes a view
// of the chunk for almost nothing. Like Buffer.allocUnsafe's 8 KiB pool: a value kept alive
// keeps its chunk alive. A chunk is an ordinary ArrayBuffer, which V8 counts and frees in its
// collections: an external one is freed only from a setImmediate, so a synchronous loop of
// reads kept every chunk it filled.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstring>

namespace rks {

class ReadPool {
 public:
  static constexpr size_t kChunkBytes = 8192;
  // Larger values get a Buffer of their own (as Buffer.allocUnsafe does above poolSize / 2).
  static constexpr size_t kMaxPooledBytes = kChunkBytes / 2;
  // A pooled result is a number: chunk offset / 8 in bits 17-29, length in bits 0-16, and
  // kNewChunk when the value starts a new chunk (then JS fetches it with chunk()).
  static constexpr uint32_t kNewChunk = 1u << 30;

  ReadPool() = default;
  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;

  // The value as a pooled number, or as its own Buffer when too large.
  Napi::Value Return(Napi::Env env, const char* data, size_t size) {
    if (size > kMaxPooledBytes) return Napi::Buffer<char>::Copy(env, data, size);
    uint32_t flags = 0;
    if (bytes_ == nullptr || kChunkBytes - used_ < size) {
      NewChunk(env);
      flags = kNewChunk;
    }
    const size_t offset = used_;
    std::memcpy(bytes_ + offset, data, size);
    used_ = (offset + size + 7) & ~size_t(7);
    return Napi::Number::New(env, double(flags | uint32_t(offset / 8) << 17 | uint32_t(size)));
  }

  // The chunk the last kNewChunk result was written to.
  Napi::Value CurrentChunk(Napi::Env env) const {
    return object_.IsEmpty() ? env.Undefined() : Napi::Value(object_.Value());
  }

  // Never writes to the current chunk again: JS calls it before a read when the chunk was
  // detached (ArrayBuffer.prototype.transfer), whose memory is then no longer the chunk's.
  void Release() {
    object_.Reset();
    bytes_ = nullptr;
    used_ = kChunkBytes;
  }

 private:
  void NewChunk(Napi::Env env) {
    Napi::ArrayBuffer chunk = Napi::ArrayBuffer::New(env, kChunkBytes);
    object_ = Napi::Persistent(chunk);
    bytes_ = static_cast<char*>(chunk.Data());
    used_ = 0;
  }

  char* bytes_ = nullptr;  // the current chunk's memory, alive while object_ holds it
  size_t used_ = kChunkBytes;  // full: the first value makes a chunk
  Napi::Reference<Napi::ArrayBuffer> object_;
};

}  // namespace rks
