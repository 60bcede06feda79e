// The WebSocket transport's RFC 6455 reader with the input split at
// fuzzer-chosen boundaries, as reads would bring it: the events must be
// exactly those of the same bytes read at once, every view must lie in the
// buffer it was read into, no message may exceed the limit, and want()
// never asks for more than a header and the limit.
#include "split.hpp"
#include "transport/ws_frame.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace ws = chat::detail::ws;
constexpr std::size_t limit = 4096;

struct seen {
  int what;
  int op;
  int code;
  std::string payload;
  bool operator==(const seen&) const = default;
};

// Reads `chunks` into one buffer the way the session does: parse what is
// there, keep an incomplete frame, append the next read.
std::vector<seen> run(const std::vector<std::string_view>& chunks) {
  ws::reader r(limit);
  std::vector<seen> out;
  std::string buf;
  for (const auto chunk : chunks) {
    buf.append(chunk);
    std::size_t used = 0;
    for (;;) {
      ws::event ev;
      const std::size_t n = r.next(buf.data() + used, buf.size() - used, ev);
      if (n > buf.size() - used) std::abort();
      used += n;
      if (ev.what == ws::event::need_more) {
        if (r.want() > limit + 14) std::abort();
        if (n == 0) break;
        continue;
      }
      if (ev.what == ws::event::message && ev.payload.size() > limit)
        std::abort();
      out.push_back(
          {ev.what, static_cast<int>(ev.op), ev.code, std::string(ev.payload)});
      if (ev.what == ws::event::close || ev.what == ws::event::fail) return out;
    }
    buf.erase(0, used);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2) return 0;
  if (!(run(chat::fuzz::split(data, size, 23)) ==
        run({chat::fuzz::whole(data, size)})))
    std::abort();
  return 0;
}
