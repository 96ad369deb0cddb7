#include "file_digest.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "async.h"

namespace rks {

namespace {

// OpenSSL's EVP digest API (stable since 1.1.0), found at run time rather than linked: an addon
// loaded by a runtime that exports no OpenSSL still loads, and JS hashes the files itself.
struct EvpApi {
  using NewFn = void* (*)();
  using FreeFn = void (*)(void*);
  using Sha256Fn = const void* (*)();
  using InitFn = int (*)(void*, const void*, void*);
  using UpdateFn = int (*)(void*, const void*, size_t);
  using FinalFn = int (*)(void*, unsigned char*, unsigned int*);
  NewFn ctxNew = nullptr;
  FreeFn ctxFree = nullptr;
  Sha256Fn sha256 = nullptr;
  InitFn init = nullptr;
  UpdateFn update = nullptr;
  FinalFn final = nullptr;

  bool Available() const { return ctxNew && ctxFree && sha256 && init && update && final; }

  static const EvpApi& Get() {
    static const EvpApi api = [] {
      EvpApi found;
      found.ctxNew = reinterpret_cast<NewFn>(dlsym(RTLD_DEFAULT, "EVP_MD_CTX_new"));
      found.ctxFree = reinterpret_cast<FreeFn>(dlsym(RTLD_DEFAULT, "EVP_MD_CTX_free"));
      found.sha256 = reinterpret_cast<Sha256Fn>(dlsym(RTLD_DEFAULT, "EVP_sha256"));
      found.init = reinterpret_cast<InitFn>(dlsym(RTLD_DEFAULT, "EVP_DigestInit_ex"));
      found.update = reinterpret_cast<UpdateFn>(dlsym(RTLD_DEFAULT, "EVP_DigestUpdate"));
      found.final = reinterpret_cast<FinalFn>(dlsym(RTLD_DEFAULT, "EVP_DigestFinal_ex"));
      return found;
    }();
    return api;
  }
};

constexpr size_t kChunkBytes = 1 << 20;

struct DigestWork : WorkBase {
  std::string path;
  const std::atomic<int32_t>* cancel = nullptr;
  uint64_t size = 0;
  std::string hex;

  rocksdb::Status Execute() {
    const EvpApi& evp = EvpApi::Get();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return rocksdb::Status::IOError(path, std::strerror(errno));
    void* ctx = evp.ctxNew();
    rocksdb::Status status = ctx != nullptr && evp.init(ctx, evp.sha256(), nullptr) == 1
                                 ? Hash(evp, fd, ctx)
                                 : rocksdb::Status::MemoryLimit("cannot set up a SHA-256 context");
    if (status.ok()) {
      unsigned char digest[32];
      unsigned int length = 0;
      if (evp.final(ctx, digest, &length) != 1 || length != sizeof digest) status = rocksdb::Status::Corruption("SHA-256 failed");
      static const char kHex[] = "0123456789abcdef";
      for (unsigned char byte : digest) hex += {kHex[byte >> 4], kHex[byte & 15]};
    }
    evp.ctxFree(ctx);
    close(fd);
    return status;
  }

  rocksdb::Status Hash(const EvpApi& evp, int fd, void* ctx) {
    std::vector<char> buffer(kChunkBytes);
    for (;;) {
      if (cancel->load(std::memory_order_relaxed) != 0) return rocksdb::Status::Aborted("hashing was cancelled");
      ssize_t read = ::read(fd, buffer.data(), buffer.size());
      if (read < 0 && errno == EINTR) continue;
      if (read < 0) return rocksdb::Status::IOError(path, std::strerror(errno));
      if (read == 0) return rocksdb::Status::OK();
      if (evp.update(ctx, buffer.data(), size_t(read)) != 1) return rocksdb::Status::Corruption("SHA-256 failed");
      size += uint64_t(read);
    }
  }

  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("size", double(size));
    result.Set("sha256", hex);
    return result;
  }
};

}  // namespace

bool CanHashFiles() { return EvpApi::Get().Available(); }

Napi::Value Sha256File(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CanHashFiles()) throw MakeError(env, "NotSupported", "the host process exports no OpenSSL digest functions");
  DigestWork work;
  work.path = StringArg(info[0], "path");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 1) {
    ThrowTypeError(env, "cancel must be an Int32Array");
  }
  Napi::Int32Array cancel = info[1].As<Napi::Int32Array>();
  // The array is the operation's owner: it stays alive, and so its memory, until the work is done.
  work.cancel = reinterpret_cast<const std::atomic<int32_t>*>(cancel.Data());
  return RunAsync(env, nullptr, cancel, "rocksdb-keyed-state:sha256File", std::move(work));
}

}  // namespace rks
