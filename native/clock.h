// A clock that tests set by hand, so TTL behaviour is checked in milliseconds.
#pragma once

#include <napi.h>
#include <rocksdb/env.h>
#include <rocksdb/system_clock.h>

#include <atomic>
#include <memory>

namespace rks {

// Wall-clock seconds come from JS; everything else (timings, sleeps) stays real.
class ManualSystemClock : public rocksdb::SystemClockWrapper {
 public:
  explicit ManualSystemClock(int64_t seconds)
      : SystemClockWrapper(rocksdb::SystemClock::Default()), seconds_(seconds) {}
  static const char* kClassName() { return "RksManualSystemClock"; }
  const char* Name() const override { return kClassName(); }
  rocksdb::Status GetCurrentTime(int64_t* unixTime) override {
    *unixTime = seconds_.load(std::memory_order_relaxed);
    return rocksdb::Status::OK();
  }
  void Set(int64_t seconds) { seconds_.store(seconds, std::memory_order_relaxed); }
  int64_t Get() const { return seconds_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> seconds_;
};

// An Env that reports the manual clock; DBWithTTL reads its time through the Env's clock.
class ClockEnv : public rocksdb::EnvWrapper {
 public:
  ClockEnv(rocksdb::Env* base, std::shared_ptr<rocksdb::SystemClock> clock) : EnvWrapper(base) {
    system_clock_ = std::move(clock);
  }
  static const char* kClassName() { return "RksClockEnv"; }
  const char* Name() const override { return kClassName(); }
  rocksdb::Status GetCurrentTime(int64_t* unixTime) override { return system_clock_->GetCurrentTime(unixTime); }
};

// JS class ManualClock: new ManualClock(seconds); set(seconds); now().
class ManualClock : public Napi::ObjectWrap<ManualClock> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ManualClock(const Napi::CallbackInfo& info);
  const std::shared_ptr<ManualSystemClock>& clock() const { return clock_; }
  static constexpr napi_type_tag kTypeTag = {0x7a3c1e0f5b2d4c61, 0x9e8f7a6b5c4d3e21};

 private:
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Now(const Napi::CallbackInfo& info);
  std::shared_ptr<ManualSystemClock> clock_;
};

}  // namespace rks
