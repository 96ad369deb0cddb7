#include "file_lock.h"

#include "args.h"
#include "errors.h"

namespace rks {

Napi::Function FileLock::Init(Napi::Env env) {
  return DefineClass(env, "FileLock", {InstanceMethod<&FileLock::Release>("release")});
}

// new FileLock(path): takes the lock or throws (code "Locked" when someone holds it). Synchronous:
// one open and one fcntl, which never wait for the holder.
FileLock::FileLock(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<FileLock>(info), data_(AddonData::Of(info.Env())) {
  std::string path = StringArg(info[0], "path");
  rocksdb::FileLock* lock = nullptr;
  CheckStatus(info.Env(), rocksdb::Env::Default()->LockFile(path, &lock));
  lock_ = lock;
  data_->heldLocks.insert(this);
}

FileLock::~FileLock() { ReleaseNow(); }

void FileLock::ReleaseNow() {
  if (lock_ == nullptr) return;
  // UnlockFile's only failure is fcntl's, after which closing the descriptor drops the lock anyway.
  rocksdb::Env::Default()->UnlockFile(lock_).PermitUncheckedError();
  lock_ = nullptr;
  data_->heldLocks.erase(this);
}

Napi::Value FileLock::Release(const Napi::CallbackInfo& info) {
  ReleaseNow();
  return info.Env().Undefined();
}

}  // namespace rks
