// detail::string_map: an unordered_map keyed by std::string that can be
// searched with a std::string_view, without building a string.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chat::detail {

namespace hashing {

__extension__ using u128 = unsigned __int128;  // GCC's and Clang's

inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// The high and low halves of a * b, folded.
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  const hashing::u128 r = static_cast<hashing::u128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

}  // namespace hashing

/// wyhash's construction (Wang Yi's, final version 4, without its seed
/// scrambling): the keys here are user names, connection ids and message
/// ids of a few to 64 bytes, which it hashes in two to five multiplies,
/// about a third of std::hash's murmur2 (54 instructions for a 4-byte
/// name). Every output bit depends on every input bit, so the registry
/// and the mailbox may split one hash into a shard (high bits) and a slot
/// (low bits).
inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  using namespace hashing;
  constexpr std::uint64_t s0 = 0xa0761d6478bd642full;
  constexpr std::uint64_t s1 = 0xe7037ed1a0b428dbull;
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t seed = 0x8ebc6af09c88c6e3ull;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n <= 16) {
    if (n >= 4) {
      const std::size_t q = (n >> 3) << 2;
      a = load32(p) << 32 | load32(p + q);
      b = load32(p + n - 4) << 32 | load32(p + n - 4 - q);
    } else if (n > 0) {
      a = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16 |
          static_cast<std::uint64_t>(static_cast<unsigned char>(p[n >> 1]))
              << 8 |
          static_cast<unsigned char>(p[n - 1]);
    }
  } else {
    std::size_t i = n;
    for (; i > 16; i -= 16, p += 16)
      seed = mix(load64(p) ^ s1, load64(p + 8) ^ seed);
    a = load64(p + i - 16);
    b = load64(p + i - 8);
  }
  const hashing::u128 r =
      static_cast<hashing::u128>(a ^ s1) * (b ^ seed);
  return mix(static_cast<std::uint64_t>(r) ^ s0 ^ n,
             static_cast<std::uint64_t>(r >> 64) ^ s1);
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return static_cast<std::size_t>(hash_bytes(s));
  }
};

template <class V>
using string_map =
    std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

}  // namespace chat::detail
