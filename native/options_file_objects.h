// RocksDB writes a database's options to an OPTIONS file at open and at every column family
// created, then reads the file back to check it. RocksDB 7.8 creates each named object of the file
// on reading, the addon's merge operators and list compaction filter among them (DBWithTTL wraps
// them as `user_operator` and `user_filter_factory`); without a factory of that name the check
// failed, and the unchecked file stayed as OPTIONS-*.dbtmp: one more at every open and every state
// registered. The objects made here are only compared by name; nothing reads or writes with them.
#pragma once

#include <string>

namespace rks {

// Registers the factories with RocksDB's default object library, once per process.
void RegisterOptionsFileObjects();

// Removes the OPTIONS-<number>.dbtmp files in the database directory `path` (errors ignored):
// those the unchecked files of earlier builds left, which RocksDB never removes. Only right after
// the open, holding the database's lock and before anything could write an OPTIONS file again.
void RemoveStaleOptionsTempFiles(const std::string& path);

}  // namespace rks
