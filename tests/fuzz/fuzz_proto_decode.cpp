// The protobuf client-frame decoder, and the server-frame decoder that the
// client uses, on any bytes. Client frames are decoded into one frame
// reused across inputs, as a connection does (the fast path for sends
// decodes into what the last one left), and must come out exactly as
// protobuf's own parser makes them from scratch.
#include <chat/codec.hpp>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static chat::v1::ClientFrame reused;
  const bool decoded =
      !chat::decode(bytes, chat::wire_format::protobuf, reused);
  chat::v1::ClientFrame fresh;
  const bool parsed =
      fresh.ParseFromArray(data, static_cast<int>(size)) &&
      fresh.frame_case() != chat::v1::ClientFrame::FRAME_NOT_SET;
  if (decoded != parsed) std::abort();
  if (decoded) {
    if (reused.SerializeAsString() != fresh.SerializeAsString()) std::abort();
    (void)chat::encode(reused, chat::wire_format::json);
  }
  chat::v1::ServerFrame server;
  (void)chat::decode(bytes, chat::wire_format::protobuf, server);
  return 0;
}
