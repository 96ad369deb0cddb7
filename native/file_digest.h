// SHA-256 of local files on the thread pool, with the OpenSSL the host process exports (Node
// links it in and exports its symbols for addons): verifying a restore's files then neither
// blocks the event loop nor hashes one file at a time.
#pragma once

#include <napi.h>

namespace rks {

// Whether the host process exports the OpenSSL digest functions sha256File needs.
bool CanHashFiles();
// sha256File(path: string, cancel: Int32Array): Promise<{ size, sha256 }> (lowercase hex), read
// and hashed in the thread pool; rejects with code Aborted once cancel[0] is set (checked per chunk).
Napi::Value Sha256File(const Napi::CallbackInfo& info);

}  // namespace rks
