// One way to run work off the event loop: a Work type with `rocksdb::Status Execute()`
// (thread pool), `void Finished(Napi::Env, const rocksdb::Status&)` (main thread, always,
// before the promise settles: bookkeeping only, no JS, as it also runs while a worker's
// environment is torn down; WorkBase has an empty one) and `Napi::Value Result(Napi::Env)`
// (main thread, builds the value on success), returned as a Promise.
// Work on a database is counted as pending, so close() waits for it, and enters the
// database's gate, so an environment shutdown never frees the DB under it.
#pragma once

#include <napi.h>
#include <rocksdb/status.h>

#include <optional>
#include <utility>

#include "database.h"
#include "errors.h"

namespace rks {

struct WorkBase {
  void Finished(Napi::Env, const rocksdb::Status&) {}
};

template <typename Work>
class AsyncOperation : public Napi::AsyncWorker {
 public:
  AsyncOperation(Napi::Env env, Database* db, Napi::Object owner, const char* name, Work work)
      : AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        db_(db),
        owner_(Napi::Persistent(owner)),
        work_(std::move(work)) {
    if (db_ != nullptr) db_->OperationStarted();
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    if (db_ != nullptr && !db_->gate().Enter()) {
      status_ = rocksdb::Status::Aborted("the database was closed before the operation ran");
      return;
    }
    try {
      status_ = work_->Execute();
    } catch (const std::exception& e) {
      status_ = rocksdb::Status::Aborted(e.what());
    } catch (...) {
      status_ = rocksdb::Status::Aborted("unknown native exception");
    }
    if (db_ != nullptr) db_->gate().Leave();
  }

  // Everything the operation holds is released whether or not JS can still run.
  void OnOK() override {
    Napi::Env env = Env();
    work_->Finished(env, status_);
    Settle(env);
    try {
      owner_.Reset();
    } catch (...) {
    }
    work_.reset();  // before OperationFinished: a close it starts must find the work's handles released
    if (db_ != nullptr) db_->OperationFinished(env);
  }

 private:
  void Settle(Napi::Env env) noexcept {
    SettleDeferred(env, deferred_, [&]() -> Napi::Value {
      if (status_.ok()) return work_->Result(env);
      throw db_ != nullptr ? db_->ErrorFor(env, status_) : StatusError(env, status_);
    });
  }

  Napi::Promise::Deferred deferred_;
  Database* db_;
  Napi::ObjectReference owner_;  // keeps the owning JS object (and so the DB) alive meanwhile
  std::optional<Work> work_;
  rocksdb::Status status_;
};

// Queues `work` and returns its promise. `owner` is the JS object the work belongs to.
template <typename Work>
Napi::Promise RunAsync(Napi::Env env, Database* db, Napi::Object owner, const char* name, Work work) {
  auto* operation = new AsyncOperation<Work>(env, db, owner, name, std::move(work));
  Napi::Promise promise = operation->Promise();
  operation->Queue();
  return promise;
}

}  // namespace rks
