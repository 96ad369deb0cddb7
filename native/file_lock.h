// An OS lock on a file (RocksDB's Env::LockFile: fcntl, plus PosixEnv's refusal of a second
// lock of the same path in this process, so worker threads exclude each other too). Held
// until release(), the object's finalization, or the environment's cleanup hook (a worker
// terminated: addon.cc, after the databases closed); the OS drops it when the process dies.
#pragma once

#include <napi.h>
#include <rocksdb/env.h>

#include "addon.h"

namespace rks {

class FileLock : public Napi::ObjectWrap<FileLock> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit FileLock(const Napi::CallbackInfo& info);
  ~FileLock() override;
  // Unlocks once; safe to call more than once.
  void ReleaseNow();

 private:
  Napi::Value Release(const Napi::CallbackInfo& info);

  AddonData* data_;
  rocksdb::FileLock* lock_ = nullptr;
};

}  // namespace rks
