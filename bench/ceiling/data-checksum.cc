// data-checksum <keys>: prints DataChecksum() of bench/data.ts's data for `keys` keys, so a test
// can compare the C++ generator with bench/data.ts without building RocksDB into anything.
#include <cstdio>
#include <cstdlib>

#include "data.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: data-checksum <keys>\n");
    return 2;
  }
  const size_t keys = std::strtoull(argv[1], nullptr, 10);
  std::printf("%u\n", ceiling::DataChecksum(ceiling::Generate(keys), ceiling::Permutation(keys)));
  return 0;
}
