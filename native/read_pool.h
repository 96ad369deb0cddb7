// Values returned by point reads, copied into one shared chunk instead of a Buffer each:
// creating a Buffer from C++ (a backing store, an ArrayBuffer, a Uint8Array with Buffer's
// prototype) costs more than the read itself once the block is cached, while JS makes a view
// of the chunk for almost nothing. Like Buffer.allocUnsafe's 8 KiB pool: a value kept alive
// keeps its chunk alive.
#pragma once

#include <napi.h>

#include <atomic>
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
  ~ReadPool() { Release(); }

  // The value as a pooled number, or as its own Buffer when too large or when the
  // environment refuses external array buffers.
  Napi::Value Return(Napi::Env env, const char* data, size_t size) {
    if (size > kMaxPooledBytes) return Napi::Buffer<char>::Copy(env, data, size);
    uint32_t flags = 0;
    if (chunk_ == nullptr || kChunkBytes - used_ < size) {
      if (externalRefused_ || !NewChunk(env)) return Napi::Buffer<char>::Copy(env, data, size);
      flags = kNewChunk;
    }
    const size_t offset = used_;
    std::memcpy(chunk_->bytes + offset, data, size);
    used_ = (offset + size + 7) & ~size_t(7);
    return Napi::Number::New(env, double(flags | uint32_t(offset / 8) << 17 | uint32_t(size)));
  }

  // The chunk the last kNewChunk result was written to.
  Napi::Value CurrentChunk(Napi::Env env) const {
    return object_.IsEmpty() ? env.Undefined() : Napi::Value(object_.Value());
  }

  // Drops this side's hold of the chunk: JS views keep it until they are collected.
  void Release() {
    object_.Reset();
    if (chunk_ != nullptr) Unref(chunk_);
    chunk_ = nullptr;
    used_ = kChunkBytes;
  }

 private:
  // Owned jointly by the pool (while current) and the ArrayBuffer (until collected): the
  // pool never writes into memory that JS could free, also if JS detached the buffer.
  struct Chunk {
    std::atomic<int> refs{2};
    char bytes[kChunkBytes];
  };

  static void Unref(Chunk* chunk) {
    if (chunk->refs.fetch_sub(1) == 1) delete chunk;
  }

  bool NewChunk(Napi::Env env) {
    auto* chunk = new Chunk();
    napi_value buffer;
    if (napi_create_external_arraybuffer(
            env, chunk->bytes, kChunkBytes, [](napi_env, void*, void* hint) { Unref(static_cast<Chunk*>(hint)); },
            chunk, &buffer) != napi_ok) {
      delete chunk;
      externalRefused_ = true;  // a runtime without external buffers: every value gets its own
      // Not thrown: the caller falls back to a Buffer of its own.
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
      return false;
    }
    Release();
    chunk_ = chunk;
    used_ = 0;
    object_ = Napi::Persistent(Napi::Value(env, buffer).As<Napi::ArrayBuffer>());
    return true;
  }

  Chunk* chunk_ = nullptr;
  size_t used_ = kChunkBytes;  // full: the first value makes a chunk
  bool externalRefused_ = false;
  Napi::Reference<Napi::ArrayBuffer> object_;
};

}  // namespace rks
