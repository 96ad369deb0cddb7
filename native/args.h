// Argument readers: wrong types become TypeErrors, never crashes.
#pragma once

#include <napi.h>
#include <rocksdb/slice.h>

#include <string>

#include "errors.h"

namespace rks {

// A view of a Buffer/Uint8Array argument; valid while the JS value is alive (the call).
// Never a null pointer: N-API gives null for empty buffers, and RocksDB asserts on it.
inline rocksdb::Slice BytesArg(const Napi::Value& value, const char* name) {
  static const char kEmpty[1] = {0};
  napi_env env = value.Env();
  bool isBuffer = false;
  void* data = nullptr;
  size_t length = 0;
  if (napi_is_buffer(env, value, &isBuffer) != napi_ok || !isBuffer ||
      napi_get_buffer_info(env, value, &data, &length) != napi_ok) {
    ThrowTypeError(value.Env(), std::string(name) + " must be a Buffer or Uint8Array");
  }
  return rocksdb::Slice(length == 0 ? kEmpty : static_cast<const char*>(data), length);
}

// Checks a [begin, end) range argument: begin after end is a RangeError (RocksDB asserts on
// it, or fails a write only after applying part of it). False for an empty range (begin == end).
inline bool CheckRange(Napi::Env env, const rocksdb::Slice& begin, const rocksdb::Slice& end, const char* what) {
  int order = begin.compare(end);
  if (order > 0) throw Napi::RangeError::New(env, std::string(what) + ": begin must not come after end");
  return order < 0;
}

inline std::string StringArg(const Napi::Value& value, const char* name) {
  if (!value.IsString()) ThrowTypeError(value.Env(), std::string(name) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

inline uint32_t Uint32Arg(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) ThrowTypeError(value.Env(), std::string(name) + " must be a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0 && number <= 4294967295.0) || number != static_cast<uint32_t>(number)) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be an integer from 0 to 2^32-1");
  }
  return static_cast<uint32_t>(number);
}

inline int64_t Int64Arg(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) ThrowTypeError(value.Env(), std::string(name) + " must be a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (number != static_cast<double>(static_cast<int64_t>(number))) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be an integer");
  }
  return static_cast<int64_t>(number);
}

inline bool BoolOption(const Napi::Object& options, const char* name, bool fallback) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean()) ThrowTypeError(options.Env(), std::string("option ") + name + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

inline Napi::Object ObjectArg(const Napi::Value& value, const char* name) {
  if (value.IsUndefined()) return Napi::Object::New(value.Env());
  if (!value.IsObject()) ThrowTypeError(value.Env(), std::string(name) + " must be an object");
  return value.As<Napi::Object>();
}

}  // namespace rks

namespace rks {

// Native objects carry a type tag so that a wrong object passed from JS is a TypeError
// instead of a wild pointer.
template <typename T>
T* UnwrapArg(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&T::kTypeTag)) {
    ThrowTypeError(value.Env(), std::string("expected ") + what);
  }
  return Napi::ObjectWrap<T>::Unwrap(value.As<Napi::Object>());
}

}  // namespace rks
