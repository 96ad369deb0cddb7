// Per-environment data of the addon: one instance per main thread or worker.
#pragma once

#include <napi.h>

#include <unordered_set>

namespace rks {

class Database;
class FileLock;

struct AddonData {
  Napi::FunctionReference errorFactory;
  Napi::FunctionReference iteratorConstructor;
  Napi::FunctionReference snapshotConstructor;
  Napi::FunctionReference sstWriterConstructor;
  // Every open database of this environment, closed by the cleanup hook when the
  // environment (main thread or worker) shuts down with databases still open.
  std::unordered_set<Database*> openDatabases;
  // Every held file lock (instance locks), released by the cleanup hook after the databases
  // closed: no other thread may take an instance while its database is still open.
  std::unordered_set<FileLock*> heldLocks;

  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace rks
