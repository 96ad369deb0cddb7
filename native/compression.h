// zstd for full-snapshot frames, from the libzstd that RocksDB's builds already link (Debian's
// shared library for the system build, the static one of the bundled build).
#pragma once

#include <napi.h>

namespace rks {

// zstdCompress(raw: Buffer, level: number): Promise<Buffer>, in the thread pool.
Napi::Value ZstdCompress(const Napi::CallbackInfo& info);
// zstdDecompress(compressed: Buffer, rawLength: number): Promise<Buffer>, in the thread pool.
Napi::Value ZstdDecompress(const Napi::CallbackInfo& info);

}  // namespace rks
