#include "options_file_objects.h"

#include <rocksdb/utilities/object_registry.h>

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

}  // namespace rks
