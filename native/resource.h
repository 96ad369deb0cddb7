// Native objects that belong to a database (iterators, snapshots, batches, SST writers).
// The database keeps a registry of them and releases every one before it closes, also
// those JS forgot, so no RocksDB object outlives its DB.
#pragma once

namespace rks {

class Resource {
 public:
  virtual ~Resource() = default;
  // Frees the RocksDB object now; safe to call more than once.
  virtual void ReleaseResource() = 0;
};

}  // namespace rks
