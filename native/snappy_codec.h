// Snappy for full-snapshot frames, from the libsnappy that RocksDB's builds already link (Debian's
// shared library for the system build, the static one of the bundled build). Native rather than
// the npm package: its results were allocations V8 did not count, and its worker threads kept
// what they freed, so a snapshot grew RSS by about 160 MB per 1,600 frames.
#pragma once

#include <napi.h>

namespace rks {

// snappyCompress(raw: Buffer): Promise<Buffer>, in the thread pool.
Napi::Value SnappyCompress(const Napi::CallbackInfo& info);
// snappyDecompress(compressed: Buffer, rawLength: number): Promise<Buffer>, in the thread pool; the
// block must declare exactly rawLength bytes, checked before anything is allocated for it.
Napi::Value SnappyDecompress(const Napi::CallbackInfo& info);

}  // namespace rks
