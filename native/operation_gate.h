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
  // Called by the closer when it is done with the DB.
  void Finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    drained_.notify_all();
  }
  // Enter; or, once closing began, wait for the closer to finish and return false.
  bool EnterOrAwaitClose() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!closed_) {
      ++inside_;
      return true;
    }
    drained_.wait(lock, [this] { return finished_; });
    return false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable drained_;
  int inside_ = 0;
  bool closed_ = false;
  bool finished_ = false;
};

}  // namespace rks
