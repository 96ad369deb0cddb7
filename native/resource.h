// Native objects that belong to a database (iterators, snapshots, batches, SST writers).
// The database keeps a registry of them and releases every one before it closes, also
// those JS forgot, so no RocksDB object outlives its DB. Each holds a reference to the
// database's JS object, so the database is never collected before them.
#pragma once

#include <napi.h>

namespace rks {

class Database;

class Resource {
 public:
  virtual ~Resource() = default;
  // Frees the RocksDB object now; safe to call more than once.
  virtual void ReleaseResource() = 0;
  // The database this belongs to; null once released.
  Database* database() const { return db_; }

 protected:
  void AttachTo(Database* db);
  // Leaves the database's registry; false when already released.
  bool DetachFromDatabase();

  Database* db_ = nullptr;

 private:
  Napi::ObjectReference dbRef_;
};

}  // namespace rks
