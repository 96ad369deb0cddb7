#include "errors.h"

#include "addon.h"

namespace rks {

// The two messages of RocksDB's PosixFileSystem::LockFile (7.x and 9.x alike): the LOCK is
// held by another process, or by another instance in this one. Matched on the exact
// wording, since any path may contain the word "lock".
static bool IsLockFailure(const rocksdb::Status& status) {
  const char* state = status.getState();
  if (state == nullptr) return false;
  std::string message(state);
  return message.rfind("While lock file: ", 0) == 0 || message.rfind("lock hold by current process", 0) == 0;
}

const char* StatusCodeName(const rocksdb::Status& status) {
  using Code = rocksdb::Status::Code;
  switch (status.code()) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "NotFound";
    case Code::kCorruption: return "Corruption";
    case Code::kNotSupported: return "NotSupported";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kIOError:
      // RocksDB reports a held LOCK file as an IOError; callers want to tell it apart.
      return IsLockFailure(status) ? "Locked" : "IOError";
    case Code::kMergeInProgress: return "MergeInProgress";
    case Code::kIncomplete: return "Incomplete";
    case Code::kShutdownInProgress: return "ShutdownInProgress";
    case Code::kTimedOut: return "TimedOut";
    case Code::kAborted: return "Aborted";
    case Code::kBusy: return "Busy";
    case Code::kExpired: return "Expired";
    case Code::kTryAgain: return "TryAgain";
    case Code::kCompactionTooLarge: return "CompactionTooLarge";
    case Code::kColumnFamilyDropped: return "ColumnFamilyDropped";
    default: return "Unknown";
  }
}

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  AddonData* data = AddonData::Of(env);
  if (data != nullptr && !data->errorFactory.IsEmpty()) {
    try {
      Napi::Value error = data->errorFactory.Call({Napi::String::New(env, code), Napi::String::New(env, message)});
      if (error.IsObject()) return Napi::Error(env, error);
    } catch (const Napi::Error&) {
      // A factory that throws must not lose the error it was asked for: a plain one follows.
    }
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

Napi::Error StatusError(Napi::Env env, const rocksdb::Status& status) {
  return MakeError(env, StatusCodeName(status), status.ToString());
}

void ThrowStatus(Napi::Env env, const rocksdb::Status& status) { throw StatusError(env, status); }

void ThrowClosed(Napi::Env env, const char* what) {
  throw MakeError(env, "Closed", std::string(what) + " is closed");
}

void ThrowTypeError(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

}  // namespace rks
