// tests/support/raw_socket.hpp: a blocking TCP socket for sending bytes no
// well-behaved client would, and reading exactly what comes back.
#pragma once

#include <chat/framing.hpp>
#include <chat/v1/chat.pb.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <optional>
#include <string>

#include <sys/socket.h>
#include <sys/time.h>

namespace chat::test {

class raw_socket {
 public:
  explicit raw_socket(std::uint16_t port) : sock_(ioc_) {
    sock_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};  // no read blocks a test for more than 5 s
    setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void write(std::string_view bytes) {
    boost::asio::write(sock_, boost::asio::buffer(bytes));
  }

  void write_frame(const v1::ClientFrame& f) {
    std::string out;
    append_delimited(out, f.SerializeAsString());
    write(out);
  }

  /// Everything until the peer closes (or 5 s pass); `eof` says which.
  std::string read_all(bool* eof = nullptr) {
    std::string out;
    char buf[4096];
    for (;;) {
      const auto n = recv_some(buf, sizeof buf);
      if (n <= 0) {
        if (eof) *eof = n == 0;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// The next delimited server frame, or nullopt at end of stream.
  std::optional<v1::ServerFrame> read_frame() {
    std::string_view payload;
    char buf[4096];
    while (reader_.next(payload) != delimited_reader::status::frame) {
      const auto n = recv_some(buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      reader_.feed({buf, static_cast<std::size_t>(n)});
    }
    v1::ServerFrame f;
    if (!f.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
      return std::nullopt;
    return f;
  }

  /// True when the server has closed the connection (reads end of stream).
  bool closed_by_peer() {
    char c;
    const auto n = recv_some(&c, 1);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  // Plain recv(): Asio's blocking reads poll past SO_RCVTIMEO, recv() does not.
  ssize_t recv_some(char* buf, std::size_t size) {
    ssize_t n;
    do {
      n = ::recv(sock_.native_handle(), buf, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket sock_;
  delimited_reader reader_{1 << 20};
};

/// Sends an HTTP request on a fresh connection; returns the whole response.
inline std::string http_exchange(std::uint16_t port,
                                 const std::string& request) {
  raw_socket s(port);
  s.write(request);
  return s.read_all();
}

inline std::string upgrade_request(const std::string& target,
                                   const std::string& extra = {}) {
  return "GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: "
         "websocket\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
         "dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         extra + "\r\n";
}

}  // namespace chat::test
