// The TCP transport's varint-delimited framing with the input split at
// fuzzer-chosen boundaries: the frames and statuses must be exactly those
// of the same bytes fed at once, and no frame may exceed the limit.
#include <chat/framing.hpp>

#include "split.hpp"

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
  if (!(run(chat::fuzz::split(data, size, 17)) ==
        run({chat::fuzz::whole(data, size)})))
    std::abort();
  return 0;
}
