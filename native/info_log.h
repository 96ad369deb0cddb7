// RocksDB's info LOG, written by us. RocksDB's own logger asserts (aborts the process on the
// Debian build) when the disk is full: it logs the background error of a failed write to a
// LOG on that same full disk. This one writes the same file and, from its first failed write
// on, drops every later message: a full disk then surfaces as a typed error of the write
// that hit it, never as an abort.
#pragma once

#include <rocksdb/env.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace rks {

class TolerantInfoLog : public rocksdb::Logger {
 public:
  // Keeps an earlier LOG as LOG.old.<micros>, as RocksDB does (its keep_log_file_num
  // purges the oldest). A LOG that cannot be opened leaves a logger that drops everything.
  explicit TolerantInfoLog(const std::string& directory) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {
    const std::string path = directory + "/LOG";
    struct timeval now;
    gettimeofday(&now, nullptr);
    std::string old = path + ".old." + std::to_string(int64_t(now.tv_sec) * 1000000 + now.tv_usec);
    std::rename(path.c_str(), old.c_str());
    file_ = std::fopen(path.c_str(), "w");
  }
  ~TolerantInfoLog() override { Stop(); }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (file_ == nullptr) return;
    char line[1024];
    int prefix = TimePrefix(line, sizeof line);
    int length = std::vsnprintf(line + prefix, sizeof line - prefix - 1, format, ap);
    if (length < 0) return;
    size_t size = std::min(sizeof line - 2, size_t(prefix + length));
    if (line[size - 1] != '\n') line[size++] = '\n';
    if (std::fwrite(line, 1, size, file_) != size || std::fflush(file_) != 0) Stop();
  }

  void Flush() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (file_ != nullptr && std::fflush(file_) != 0) Stop();
  }

 private:
  static int TimePrefix(char* out, size_t size) {
    struct timeval now;
    gettimeofday(&now, nullptr);
    struct tm local;
    localtime_r(&now.tv_sec, &local);
    return std::snprintf(out, size, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", local.tm_year + 1900, local.tm_mon + 1,
                         local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, long(now.tv_usec));
  }

  void Stop() {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
  }

  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

}  // namespace rks
