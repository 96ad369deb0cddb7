// RocksDB makes only the last directory of a database's or a checkpoint's path: the others are
// made here, so that a path under missing directories works as classic-level's does.
#pragma once

#include <rocksdb/status.h>

#include <string>

namespace rks {

// Makes the missing directories above `path` (not `path` itself: RocksDB makes it, or refuses an
// existing one, with its own messages). A failure is returned with its cause: RocksDB's mkdir of
// the last directory would only report that its parent does not exist.
rocksdb::Status MakeParentDirectories(const std::string& path);

}  // namespace rks
