// Forward or backward iteration over one column family within byte bounds, handing
// entries to JS in batches: nextv packs many entries into one Buffer
// ([u32 count][u32 ended] then per entry [u32 keyLength][key][u32 valueLength][value],
// little-endian), so a scan costs one crossing per batch, not one object per entry.
#pragma once

#include <napi.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "database.h"
#include "resource.h"

namespace rks {

class Iterator : public Napi::ObjectWrap<Iterator>, public Resource {
 public:
  static constexpr napi_type_tag kTypeTag = {0x3d4e5f6071829384, 0xb5c6d7e8f90a1b2c};
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Create(Napi::Env env, Database* db, FamilyUse family, const Napi::Object& options);
  explicit Iterator(const Napi::CallbackInfo& info);
  ~Iterator() override;

  void ReleaseResource() override;
  // Fills batch_ with up to maxCount entries / about maxBytes; runs on any thread.
  rocksdb::Status Fill(uint32_t maxCount, size_t maxBytes);
  Napi::Value TakeBatch(Napi::Env env);
  void AsyncFinished();

 private:
  Napi::Value Seek(const Napi::CallbackInfo& info);
  Napi::Value Nextv(const Napi::CallbackInfo& info);
  Napi::Value NextvAsync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void CheckUsable(Napi::Env env) const;
  void Advance();

  std::unique_ptr<rocksdb::Iterator> iterator_;
  FamilyUse family_;  // a dropped family's handle outlives the iterators made on it
  std::shared_ptr<const rocksdb::Snapshot> snapshot_;
  std::string lowerBound_, upperBound_;  // storage for the ReadOptions bound slices
  rocksdb::Slice lowerSlice_, upperSlice_;
  bool hasLower_ = false, hasUpper_ = false;
  bool reverse_ = false, raw_ = false, skipExpired_ = false;
  int32_t ttlSeconds_ = 0;
  bool positioned_ = false, ended_ = false;
  bool busy_ = false, closeRequested_ = false;
  std::string batch_;
  uint32_t batchCount_ = 0;
};

}  // namespace rks
