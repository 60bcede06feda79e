// tests/support/ws_raw.hpp: a WebSocket client made of bytes, for sending
// frames no library would and reading exactly what the server answers.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include <sys/socket.h>
#include <sys/time.h>

namespace chat::test {

/// One frame as the server sent it (server frames are never masked).
struct ws_frame {
  bool fin = false;
  unsigned opcode = 0;
  std::string payload;

  /// The close code of a close frame; 1005 when it carries none.
  unsigned close_code() const {
    if (payload.size() < 2) return 1005;
    return (static_cast<unsigned char>(payload[0]) << 8) |
           static_cast<unsigned char>(payload[1]);
  }
};

/// A masked client frame: `first` is the FIN/RSV/opcode byte; the length
/// is written in the shortest form unless `claimed` overrides it (the
/// payload is then only what follows the header).
inline std::string ws_client_frame(unsigned char first,
                                   const std::string& payload,
                                   std::optional<std::uint64_t> claimed = {},
                                   bool masked = true) {
  std::string f(1, static_cast<char>(first));
  const std::uint64_t len = claimed ? *claimed : payload.size();
  const unsigned char mask_bit = masked ? 0x80 : 0;
  if (len < 126 && !claimed) {
    f.push_back(static_cast<char>(mask_bit | len));
  } else if (len < 65536 && !claimed) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(len >> 8));
    f.push_back(static_cast<char>(len & 0xff));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((len >> shift) & 0xff));
  }
  const char key[4] = {'\x12', '\x34', '\x56', '\x78'};
  if (masked) f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4])
                       : payload[i]);
  return f;
}

/// A raw connection that has done the upgrade (or tried to).
class ws_raw {
 public:
  /// Connects to 127.0.0.1:`port`; `rcvbuf` > 0 shrinks the receive buffer
  /// before connecting (a reader that stops reading then stalls the server).
  explicit ws_raw(std::uint16_t port, int rcvbuf = 0) : sock_(ioc_) {
    sock_.open(boost::asio::ip::tcp::v4());
    if (rcvbuf > 0) {
      setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
                 sizeof rcvbuf);
    }
    timeval tv{10, 0};  // no read blocks a test for more than 10 s
    setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sock_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  /// Sends the upgrade for `target`; true when the answer is 101.
  bool upgrade(const std::string& target) {
    write("GET " + target +
          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
          "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    boost::system::error_code ec;
    const auto n = boost::asio::read_until(
        sock_, boost::asio::dynamic_buffer(data_), "\r\n\r\n", ec);
    if (ec) return false;
    status_ = data_.substr(0, data_.find("\r\n"));
    const bool ok = data_.starts_with("HTTP/1.1 101");
    data_.erase(0, n);
    return ok;
  }

  bool write(std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(sock_, boost::asio::buffer(bytes), ec);
    return !ec;
  }

  /// The next frame, or nullopt at end of stream, reset or timeout.
  std::optional<ws_frame> read_frame() {
    if (!need(2)) return std::nullopt;
    ws_frame f;
    const auto b0 = static_cast<unsigned char>(data_[0]);
    const auto b1 = static_cast<unsigned char>(data_[1]);
    f.fin = (b0 & 0x80) != 0;
    f.opcode = b0 & 0x0f;
    std::uint64_t len = b1 & 0x7f;
    std::size_t head = 2;
    if (len >= 126) {
      const std::size_t ext = len == 126 ? 2 : 8;
      if (!need(2 + ext)) return std::nullopt;
      len = 0;
      for (std::size_t i = 0; i < ext; ++i)
        len = (len << 8) | static_cast<unsigned char>(data_[2 + i]);
      head += ext;
    }
    if (len > (64u << 20) || !need(head + len)) return std::nullopt;
    f.payload = data_.substr(head, len);
    data_.erase(0, head + len);
    return f;
  }

  /// Reads past data frames to the close frame; its code, 1006 when the
  /// connection ended without one, 0 when nothing came within the timeout.
  unsigned close_code() {
    for (;;) {
      const auto f = read_frame();
      if (!f) return timed_out_ ? 0 : 1006;
      if (f->opcode == 0x8) return f->close_code();
    }
  }

  boost::asio::ip::tcp::socket& socket() { return sock_; }
  /// The status line of the upgrade's answer.
  const std::string& status() const { return status_; }

 private:
  bool need(std::size_t n) {
    char buf[16384];
    while (data_.size() < n) {
      const ssize_t got = ::recv(sock_.native_handle(), buf, sizeof buf, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        timed_out_ = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        return false;
      }
      data_.append(buf, static_cast<std::size_t>(got));
    }
    return true;
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket sock_;
  std::string data_;  // received and not yet taken
  std::string status_;
  bool timed_out_ = false;
};

}  // namespace chat::test
