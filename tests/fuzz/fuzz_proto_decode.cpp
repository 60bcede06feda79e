// The protobuf client-frame decoder, and the server-frame decoder that the
// client uses, on any bytes.
#include <chat/codec.hpp>

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  chat::v1::ClientFrame frame;
  if (!chat::decode(bytes, chat::wire_format::protobuf, frame)) {
    (void)chat::encode(frame, chat::wire_format::json);
  }
  chat::v1::ServerFrame server;
  (void)chat::decode(bytes, chat::wire_format::protobuf, server);
  return 0;
}
