// The body of a full-snapshot stream (docs/format.md, lib/format/full-snapshot-format.ts) made
// natively: one iterator per state on one RocksDB snapshot, merged by (key group, kvStateId, key)
// and framed (kvStateIds, length-prefixed pairs, the 0x80 flag, 0xFFFF ends) straight into a
// chunk buffer on the thread pool, so JS never touches an entry. JS pulls chunks one at a time
// (`next(target)`) into buffers it reuses: memory stays at a few chunks, with no garbage per chunk.
#pragma once

#include <napi.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <vector>

#include "database.h"
#include "resource.h"

namespace rks {

class SnapshotStream : public Napi::ObjectWrap<SnapshotStream>, public Resource {
 public:
  static constexpr napi_type_tag kTypeTag = {0x4e5f60718293a4b5, 0xc6d7e8f90a1b2c3d};
  static Napi::Function Init(Napi::Env env);
  // new SnapshotStream(snapshot, sources: { kvStateId, family?: id, entries?: Buffer[] }[],
  //                    { prefixBytes: 1 | 2, frameBytes: 0 (none) | n, chunkBytes })
  explicit SnapshotStream(const Napi::CallbackInfo& info);
  ~SnapshotStream() override;

  void ReleaseResource() override;
  // Frames the next chunk and copies it into `target` (the caller's reused buffer) when it fits;
  // runs on the thread pool.
  rocksdb::Status FillInto(char* target, size_t capacity);
  Napi::Value TakeChunk(Napi::Env env);
  void AsyncFinished();

 private:
  // One state: a RocksDB iterator, or sorted [key, value, key, value, ...] copied from JS (heap timers).
  struct Source {
    uint16_t kvStateId = 0;
    FamilyUse family;
    std::unique_ptr<rocksdb::Iterator> iterator;
    std::vector<std::string> memory;
    size_t memoryIndex = 0;

    bool Valid() const { return iterator ? iterator->Valid() : memoryIndex < memory.size(); }
    rocksdb::Slice key() const { return iterator ? iterator->key() : rocksdb::Slice(memory[memoryIndex]); }
    rocksdb::Slice value() const { return iterator ? iterator->value() : rocksdb::Slice(memory[memoryIndex + 1]); }
    void Next() {
      if (iterator) {
        iterator->Next();
      } else {
        memoryIndex += 2;
      }
    }
    rocksdb::Status status() const { return iterator ? iterator->status() : rocksdb::Status::OK(); }
  };

  // Appends entries to the chunk until it holds about chunkBytes.
  rocksdb::Status Fill();
  Napi::Value Next(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void CheckUsable(Napi::Env env) const;
  uint32_t KeyGroupOf(const rocksdb::Slice& key) const;
  rocksdb::Status BeginRun();
  rocksdb::Status AppendEntry(Source& source);
  void AppendU16(uint32_t value);
  void AppendU32(uint32_t value);
  // Where the chunk may end: everything when not framed or at the end, else the open key
  // group's last frame boundary (its start plus whole frames), so frames stay whole.
  size_t CutPoint() const;

  std::shared_ptr<const rocksdb::Snapshot> snapshot_;
  std::vector<Source> sources_;
  uint32_t prefixBytes_ = 1;
  size_t frameBytes_ = 0;
  size_t chunkBytes_ = 0;

  bool positioned_ = false, ended_ = false;
  bool busy_ = false, closeRequested_ = false;
  int run_ = -1;           // the source whose (key group, state) run is being written, or -1
  int64_t openGroup_ = -1;  // the key group whose 0xFFFF end is not written yet
  int32_t lastKvStateId_ = -1;
  uint64_t groupStart_ = 0;  // body offset of the open key group
  uint64_t emitted_ = 0;     // body offset of buffer_[0]: bytes handed to JS before it
  std::string buffer_;
  size_t cut_ = 0;       // where the chunk just filled ends in buffer_
  bool copied_ = false;  // and whether it went into the caller's target
  std::vector<uint64_t> starts_;  // body offset, key group: starts not handed to JS yet
  double entries_ = 0, dataBytes_ = 0;  // entries and key + value bytes of the chunk being filled
};

}  // namespace rks
