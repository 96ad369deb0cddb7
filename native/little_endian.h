// Little-endian u32s of the buffers shared with JS (iterator batches, getMany results,
// encoded write batches).
#pragma once

#include <cstdint>

namespace rks {

inline void WriteU32LE(char* out, uint32_t value) {
  out[0] = char(value & 0xff);
  out[1] = char((value >> 8) & 0xff);
  out[2] = char((value >> 16) & 0xff);
  out[3] = char(value >> 24);
}

inline uint32_t ReadU32LE(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

}  // namespace rks
