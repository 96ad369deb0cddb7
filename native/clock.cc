#include "clock.h"

#include "args.h"

namespace rks {

Napi::Function ManualClock::Init(Napi::Env env) {
  return DefineClass(env, "ManualClock",
                     {InstanceMethod<&ManualClock::Set>("set"), InstanceMethod<&ManualClock::Now>("now")});
}

ManualClock::ManualClock(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  clock_ = std::make_shared<ManualSystemClock>(Int64Arg(info[0], "seconds"));
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
}

Napi::Value ManualClock::Set(const Napi::CallbackInfo& info) {
  clock_->Set(Int64Arg(info[0], "seconds"));
  return info.Env().Undefined();
}

Napi::Value ManualClock::Now(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(clock_->Get())); }

}  // namespace rks
