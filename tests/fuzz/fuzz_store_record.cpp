// The SQLite store's record check and decode, as load() does it: a state, a
// checksum and a frame from a possibly damaged file. A record that passes
// is parsed as the mailbox parses it; a sound frame always passes.
#include <chat/v1/chat.pb.h>

#include "store/sqlite_journal.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 9) return 0;
  const int state = static_cast<std::int8_t>(data[0]);
  std::int64_t sum;
  std::memcpy(&sum, data + 1, sizeof sum);
  const std::string_view frame(reinterpret_cast<const char*>(data + 9),
                               size - 9);
  using chat::detail::record_checksum;
  using chat::detail::sound_message_record;
  if (sound_message_record(state, frame, sum)) {
    chat::v1::Message m;
    (void)m.ParseFromArray(frame.data(), static_cast<int>(frame.size()));
  }
  if (!sound_message_record(1, frame, record_checksum(frame)) ||
      record_checksum(frame) < 0) {
    std::abort();
  }
  return 0;
}
