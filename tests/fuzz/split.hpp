// The fuzz targets' input as reads would bring it: the first byte seeds
// the split points, the rest is the stream, cut into chunks of 1 to
// `max_chunk` bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace chat::fuzz {

inline std::vector<std::string_view> split(const std::uint8_t* data,
                                           std::size_t size,
                                           unsigned max_chunk) {
  std::vector<std::string_view> chunks;
  if (size < 2) return chunks;
  unsigned seed = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1),
                                size - 1);
  for (std::size_t at = 0; at < stream.size();) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t n =
        std::min<std::size_t>(1 + (seed >> 16) % max_chunk, stream.size() - at);
    chunks.push_back(stream.substr(at, n));
    at += n;
  }
  return chunks;
}

/// The stream whole (after the seed byte).
inline std::string_view whole(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data + 1), size - 1};
}

}  // namespace chat::fuzz
