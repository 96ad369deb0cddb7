// Per-environment data of the addon: one instance per main thread or worker.
#pragma once

#include <napi.h>

#include <unordered_set>

namespace rks {

class Database;

struct AddonData {
  Napi::FunctionReference errorFactory;
  Napi::FunctionReference iteratorConstructor;
  Napi::FunctionReference snapshotConstructor;
  Napi::FunctionReference sstWriterConstructor;
  // Every open database of this environment, closed by the cleanup hook when the
  // environment (main thread or worker) shuts down with databases still open.
  std::unordered_set<Database*> openDatabases;

  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace rks
