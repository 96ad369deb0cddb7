// Lets thread-pool work and database shutdown exclude each other: work enters the gate
// before it touches the DB, and closing waits until no work is inside and admits no more.
#pragma once

#include <condition_variable>
#include <mutex>

namespace rks {

class OperationGate {
 public:
  bool Enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    ++inside_;
    return true;
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--inside_ == 0) drained_.notify_all();
  }
  void CloseAndWait() {
    std::unique_lock<std::mutex> lock(mutex_);
    closed_ = true;
    drained_.wait(lock, [this] { return inside_ == 0; });
  }
  void Reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable drained_;
  int inside_ = 0;
  bool closed_ = false;
};

}  // namespace rks
