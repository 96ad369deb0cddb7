// Turning rocksdb::Status and argument mistakes into JS errors with a stable `code`.
#pragma once

#include <napi.h>
#include <rocksdb/status.h>

#include <string>

namespace rks {

// The code JS sees for a status: RocksDB's own name of the status code.
const char* StatusCodeName(const rocksdb::Status& status);

// Builds the JS error for `code` through the error factory that lib/native registers
// (so the error is an instance of the library's typed classes); a plain Error with
// a `code` property when no factory is registered.
Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message);
Napi::Error StatusError(Napi::Env env, const rocksdb::Status& status);

// Resolves `deferred` with what `result` returns, or rejects it with what it throws, and
// never throws itself: it runs from completion callbacks, where an exception would abort
// the process. When no JS can run (a worker's environment being torn down) the promise
// stays unsettled, as nobody can observe it any more.
template <typename Result>
void SettleDeferred(Napi::Env env, Napi::Promise::Deferred& deferred, Result result) noexcept {
  try {
    Napi::HandleScope scope(env);
    try {
      deferred.Resolve(result());
    } catch (const Napi::Error& error) {
      deferred.Reject(error.Value());
    } catch (const std::exception& e) {
      deferred.Reject(Napi::Error::New(env, e.what()).Value());
    }
  } catch (...) {
  }
}

[[noreturn]] void ThrowStatus(Napi::Env env, const rocksdb::Status& status);
[[noreturn]] void ThrowClosed(Napi::Env env, const char* what);
[[noreturn]] void ThrowTypeError(Napi::Env env, const std::string& message);

inline void CheckStatus(Napi::Env env, const rocksdb::Status& status) {
  if (!status.ok()) ThrowStatus(env, status);
}

}  // namespace rks
