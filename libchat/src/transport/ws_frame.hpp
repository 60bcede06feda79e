// RFC 6455 framing, server side, without I/O: a strict incremental reader
// of client frames and a writer of server frames.
//
// The reader works on bytes the caller read into its own buffer: it unmasks
// payloads in place and hands out views into that buffer, so a message that
// arrives in one frame is never copied. Only a fragmented message is
// gathered, into the reader's own buffer, whose capacity is reused. Every
// violation maps to the close code RFC 6455 section 7.4.1 gives it, and a
// frame's declared length is checked against the message limit before
// anything is allocated for it.
//
// The writer appends whole frames to an output buffer, so everything queued
// for a connection can leave in one write.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace chat::detail::ws {

enum class opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Close codes (RFC 6455 section 7.4.1) the server sends.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // never sent
inline constexpr std::uint16_t bad_payload = 1007;
inline constexpr std::uint16_t policy = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;
}  // namespace close_code

/// True for a code a peer may put in a close frame (1000-1003, 1007-1014,
/// 3000-4999); 1004-1006 and 1015 are reserved for local use.
bool valid_close_code(std::uint16_t code) noexcept;

/// One thing the reader found.
struct event {
  enum kind : std::uint8_t {
    need_more,  // the buffer holds no complete frame (see reader::want())
    message,    // a whole text or binary message: `op`, `payload`
    ping,       // `payload`: answer with a pong carrying it
    pong,       // `payload`
    close,      // the peer's close: `code` (1005 for none), `payload` = reason
    fail,       // a violation: close with `code`, `payload` = reason (static)
  };
  kind what = need_more;
  opcode op = opcode::text;
  std::uint16_t code = 0;
  std::string_view payload;
};

class reader {
 public:
  /// `max_message`: the largest message (all its fragments) accepted;
  /// larger fails with 1009 as soon as a header says so.
  explicit reader(std::size_t max_message) noexcept
      : max_(static_cast<std::uint32_t>(
            std::min<std::size_t>(max_message, max_limit))) {}

  /// Parses the next event from `data[0, size)`, the unconsumed bytes the
  /// connection has read, and returns how many of them it used up. With
  /// `need_more` and a nonzero return it took a non-final fragment: call
  /// again; with 0 the buffer holds no complete frame. Views in `ev` stay
  /// valid until the caller moves or overwrites those bytes, or calls
  /// next() again. After `close` or `fail` the reader must not be used
  /// again.
  std::size_t next(char* data, std::size_t size, event& ev);

  /// With `need_more`: how many bytes the frame at the start of the buffer
  /// needs in all (header and payload) when its header is complete, else 0.
  /// Never more than the header plus the message limit.
  std::size_t want() const noexcept { return want_; }

  std::size_t max_message() const noexcept { return max_; }
  /// Capacity held for fragmented messages (for memory accounting).
  std::size_t buffered_capacity() const noexcept {
    return fragments_ ? fragments_->capacity() : 0;
  }

 private:
  std::size_t fail(event& ev, std::uint16_t code, const char* reason);

  // 32 bits each (one reader per connection): a message is at most 4 GiB.
  static constexpr std::size_t max_limit = UINT32_MAX - 64;
  std::uint32_t max_;
  std::uint32_t want_ = 0;
  // The fragmented message so far; made by the first fragmented message
  // (most connections never send one).
  std::unique_ptr<std::string> fragments_;
  std::uint32_t validated_ = 0;  // of fragments_, checked as UTF-8
  bool in_message_ = false;      // a fragmented message is open
  opcode message_op_ = opcode::text;
};

/// Longest server frame header: 2 bytes, and 8 of extended length.
inline constexpr std::size_t max_header = 10;

/// Writes the header of one final, unmasked frame carrying `size` bytes to
/// `out` (room for max_header bytes); returns its length.
std::size_t put_header(char* out, opcode op, std::size_t size) noexcept;

/// Appends one final, unmasked frame to `out`.
void append_frame(std::string& out, opcode op, std::string_view payload);

/// Appends a close frame: `code` and up to 123 bytes of `reason` (cut at a
/// UTF-8 character boundary).
void append_close(std::string& out, std::uint16_t code,
                  std::string_view reason);

/// XORs `size` bytes at `p` with the 4-byte `key`, starting at key offset
/// `phase` (0-3).
void unmask(char* p, std::size_t size, const unsigned char key[4],
            std::size_t phase = 0) noexcept;

}  // namespace chat::detail::ws
