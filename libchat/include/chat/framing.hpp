// chat/framing.hpp: varint-delimited frames, as on the raw TCP transport.
//
// Each frame is a base-128 varint length followed by that many bytes: the
// framing of protobuf's `SerializeDelimitedTo` and Java's `writeDelimitedTo`.
// The reader takes bytes as they arrive, split anywhere, and yields whole
// frames; it rejects a length past the limit before buffering any of it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

/// Appends `payload` to `out` with its varint length prefix.
void append_delimited(std::string& out, std::string_view payload);

/// Thread safety: none; one reader belongs to one connection.
class delimited_reader {
 public:
  enum class status {
    frame,      ///< `next()` produced a frame.
    need_more,  ///< All input is consumed; feed more.
    too_large,  ///< The length prefix is past the limit; the stream is dead.
    bad_prefix  ///< The varint is longer than 10 bytes; the stream is dead.
  };

  explicit delimited_reader(std::size_t max_frame) : max_frame_(max_frame) {}

  /// Appends received bytes.
  void feed(std::string_view bytes) { buf_.append(bytes); }

  /// Extracts the next whole frame into `frame` (valid until the next call).
  status next(std::string_view& frame);

  /// The length the last `too_large` prefix claimed.
  std::uint64_t claimed() const noexcept { return claimed_; }

  /// Bytes fed but not yet returned as frames.
  std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  std::size_t max_frame_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t claimed_ = 0;
};

}  // namespace chat
