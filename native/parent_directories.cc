#include "parent_directories.h"

#include <filesystem>
#include <system_error>

namespace rks {

rocksdb::Status MakeParentDirectories(const std::string& path) {
  std::filesystem::path last(path);
  if (!last.has_filename()) last = last.parent_path();  // "a/b/" names the directory b
  const std::filesystem::path parent = last.parent_path();
  if (parent.empty()) return rocksdb::Status::OK();
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) return rocksdb::Status::IOError("While making the missing parent directories of " + path, error.message());
  return rocksdb::Status::OK();
}

}  // namespace rks
