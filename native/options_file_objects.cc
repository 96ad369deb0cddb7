#include "options_file_objects.h"

#include <rocksdb/utilities/object_registry.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>

#include "list_ttl_compaction_filter.h"
#include "merge_operator.h"
#include "timestamped_list.h"

namespace rks {

namespace {

// A list TTL that never expires: the checked copy is never used to merge or to filter.
std::shared_ptr<const TimestampedListTtl> NoListTtl() {
  return std::make_shared<TimestampedListTtl>(0, rocksdb::SystemClock::Default());
}

template <typename Base, typename Make>
void AddFactory(rocksdb::ObjectLibrary& library, const char* name, Make make) {
  library.AddFactory<Base>(name, [make](const std::string&, std::unique_ptr<Base>* guard, std::string*) {
    guard->reset(make());
    return guard->get();
  });
}

}  // namespace

void RegisterOptionsFileObjects() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    rocksdb::ObjectLibrary& library = *rocksdb::ObjectLibrary::Default();
    AddFactory<rocksdb::MergeOperator>(library, "RksDelimitedAppendOperator", [] { return new DelimitedAppendOperator(','); });
    AddFactory<rocksdb::MergeOperator>(library, "RksTimestampedListMergeOperator",
                                       [] { return new TimestampedListMergeOperator(NoListTtl()); });
    AddFactory<rocksdb::CompactionFilterFactory>(library, "RksListTtlCompactionFilterFactory",
                                                 [] { return new ListTtlCompactionFilterFactory(NoListTtl()); });
  });
}

void RemoveStaleOptionsTempFiles(const std::string& path) {
  static const std::string kPrefix = "OPTIONS-", kSuffix = ".dbtmp";
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator(path, ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kPrefix.size() + kSuffix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0 ||
        name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
      continue;
    }
    const auto digits = name.begin() + kPrefix.size(), end = name.end() - kSuffix.size();
    if (std::all_of(digits, end, [](char c) { return c >= '0' && c <= '9'; })) std::filesystem::remove(entry.path(), ignored);
  }
}

}  // namespace rks
