// The JSON client-frame decoder: never crashes, and what it accepts encodes
// back to JSON that it accepts again as the same frame.
#include <chat/codec.hpp>

#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  chat::v1::ClientFrame frame;
  if (chat::decode(bytes, chat::wire_format::json, frame)) return 0;
  const std::string again = chat::encode(frame, chat::wire_format::json);
  chat::v1::ClientFrame back;
  if (chat::decode(again, chat::wire_format::json, back) ||
      !google::protobuf::util::MessageDifferencer::Equals(frame, back)) {
    std::abort();
  }
  return 0;
}
