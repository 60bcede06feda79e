// The TCP transport's varint-delimited framing with the input split at
// fuzzer-chosen boundaries: the frames and statuses must be exactly those
// of the same bytes fed at once, and no frame may exceed the limit.
#include <chat/framing.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr std::size_t limit = 4096;

struct outcome {
  std::vector<std::string> frames;
  chat::delimited_reader::status last{};
  bool operator==(const outcome&) const = default;
};

// Feeds `chunks` one by one, taking frames until the reader wants more or
// fails (after which it is not fed again, as the transport closes).
outcome run(const std::vector<std::string_view>& chunks) {
  using st = chat::delimited_reader::status;
  chat::delimited_reader reader(limit);
  outcome out;
  for (const auto chunk : chunks) {
    reader.feed(chunk);
    std::string_view frame;
    for (;;) {
      out.last = reader.next(frame);
      if (out.last != st::frame) break;
      if (frame.size() > limit) std::abort();
      out.frames.emplace_back(frame);
    }
    if (out.last != st::need_more) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2) return 0;
  // The first byte seeds the split points; the rest is the stream.
  unsigned seed = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1),
                                size - 1);
  std::vector<std::string_view> chunks;
  for (std::size_t at = 0; at < stream.size();) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>(1 + (seed >> 16) % 17,
                                                stream.size() - at);
    chunks.push_back(stream.substr(at, n));
    at += n;
  }
  if (!(run(chunks) == run({stream}))) std::abort();
  return 0;
}
