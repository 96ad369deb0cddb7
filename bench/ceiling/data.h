// bench/data.ts in C++: the same seeded xorshift128 stream, so the ceiling writes, reads and
// scans exactly the bytes the Node drivers do. dataChecksum() is what both sides print to
// prove it (bench/ceiling/data-checksum.ts is its TypeScript twin).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ceiling {

constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 100;
constexpr uint32_t kDefaultSeed = 0x5eed1234;
constexpr uint32_t kPermutationSeed = kDefaultSeed ^ 0x9e3779b9;

class Xorshift128 {
 public:
  explicit Xorshift128(uint32_t seed) : x_(seed != 0 ? seed : 1) {
    for (int i = 0; i < 16; ++i) Next();
  }

  uint32_t Next() {
    const uint32_t t = x_ ^ (x_ << 11);
    x_ = y_;
    y_ = z_;
    z_ = w_;
    w_ = w_ ^ (w_ >> 19) ^ (t ^ (t >> 8));
    return w_;
  }

  // Each 32-bit output little-endian; a tail shorter than 4 bytes takes the low byte of one output each.
  void Fill(uint8_t* out, size_t length) {
    size_t i = 0;
    for (; i + 4 <= length; i += 4) {
      const uint32_t w = Next();
      out[i] = uint8_t(w);
      out[i + 1] = uint8_t(w >> 8);
      out[i + 2] = uint8_t(w >> 16);
      out[i + 3] = uint8_t(w >> 24);
    }
    for (; i < length; ++i) out[i] = uint8_t(Next());
  }

 private:
  uint32_t x_;
  uint32_t y_ = 362436069;
  uint32_t z_ = 521288629;
  uint32_t w_ = 88675123;
};

// `count` keys and values as two slabs, generated like bench/data.ts's generate(): keys first.
struct Dataset {
  size_t count = 0;
  std::vector<uint8_t> keys;
  std::vector<uint8_t> values;

  const uint8_t* Key(size_t i) const { return keys.data() + i * kKeyBytes; }
  const uint8_t* Value(size_t i) const { return values.data() + i * kValueBytes; }
};

inline Dataset Generate(size_t count, uint32_t seed = kDefaultSeed) {
  Xorshift128 random(seed);
  Dataset data;
  data.count = count;
  data.keys.resize(count * kKeyBytes);
  data.values.resize(count * kValueBytes);
  random.Fill(data.keys.data(), data.keys.size());
  random.Fill(data.values.data(), data.values.size());
  return data;
}

// Fisher–Yates with the same draws as bench/data.ts's permutation().
inline std::vector<uint32_t> Permutation(size_t count, uint32_t seed = kPermutationSeed) {
  Xorshift128 random(seed);
  std::vector<uint32_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = uint32_t(i);
  for (size_t i = count; i-- > 1;) {
    const size_t j = random.Next() % (i + 1);
    std::swap(order[i], order[j]);
  }
  return order;
}

// FNV-1a (32-bit) over the key slab, the value slab and the permutation, each as little-endian
// 32-bit words (every slab is a multiple of 4 bytes).
inline uint32_t DataChecksum(const Dataset& data, const std::vector<uint32_t>& order) {
  uint32_t hash = 2166136261u;
  auto mix = [&hash](uint32_t word) { hash = (hash ^ word) * 16777619u; };
  auto slab = [&mix](const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
      mix(uint32_t(bytes[i]) | uint32_t(bytes[i + 1]) << 8 | uint32_t(bytes[i + 2]) << 16 | uint32_t(bytes[i + 3]) << 24);
    }
  };
  slab(data.keys);
  slab(data.values);
  for (uint32_t index : order) mix(index);
  return hash;
}

}  // namespace ceiling
