// RocksDB's background-error state: after a failed flush, compaction or write that it
// cannot recover from, it refuses every write with that first error. This listener keeps
// the original cause, so our calls can name it instead of a confusing later status.
#pragma once

#include <rocksdb/listener.h>

#include <atomic>
#include <mutex>
#include <string>

namespace rks {

class BackgroundErrorListener : public rocksdb::EventListener {
 public:
  const char* Name() const override { return "RksBackgroundErrorListener"; }

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok() || !StopsWrites(reason, *error)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (cause_.empty()) cause_ = std::string(ReasonName(reason)) + ": " + error->ToString();
    failed_.store(true, std::memory_order_release);
  }

  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (!info.new_bg_error.ok()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    cause_.clear();
    failed_.store(false, std::memory_order_release);
  }

  // Checked by every write: no lock while all is well.
  bool Failed() const { return failed_.load(std::memory_order_acquire); }

  // Empty while the database accepts writes.
  std::string Cause() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cause_;
  }

 private:
  // Soft errors leave writes open. Retryable I/O errors are reported without a severity:
  // RocksDB stops writes for them (while it retries) except for compactions.
  static bool StopsWrites(rocksdb::BackgroundErrorReason reason, const rocksdb::Status& error) {
    using Severity = rocksdb::Status::Severity;
    if (error.severity() == Severity::kNoError) return reason != rocksdb::BackgroundErrorReason::kCompaction;
    return error.severity() >= Severity::kHardError;
  }

  static const char* ReasonName(rocksdb::BackgroundErrorReason reason) {
    using Reason = rocksdb::BackgroundErrorReason;
    switch (reason) {
      case Reason::kFlush:
      case Reason::kFlushNoWAL: return "flush";
      case Reason::kCompaction: return "compaction";
      case Reason::kWriteCallback:
      case Reason::kMemTable: return "write";
      case Reason::kManifestWrite:
      case Reason::kManifestWriteNoWAL: return "MANIFEST write";
    }
    return "background work";
  }

  mutable std::mutex mutex_;
  std::string cause_;
  std::atomic<bool> failed_{false};
};

}  // namespace rks
