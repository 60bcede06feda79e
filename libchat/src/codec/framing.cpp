// Varint-delimited framing (protobuf's SerializeDelimitedTo).
#include <chat/framing.hpp>

namespace chat {

void append_delimited(std::string& out, std::string_view payload) {
  std::uint64_t n = payload.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(payload);
}

delimited_reader::status delimited_reader::next(std::string_view& frame) {
  // Compact once the consumed prefix dominates, so the buffer stays bounded
  // by one frame plus one read.
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  std::uint64_t len = 0;
  std::size_t i = pos_;
  for (int shift = 0;; shift += 7) {
    if (shift >= 70) return status::bad_prefix;
    if (i == buf_.size()) return status::need_more;
    const auto byte = static_cast<unsigned char>(buf_[i++]);
    if (shift < 64) len |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (len > max_frame_) {
    claimed_ = len;
    return status::too_large;
  }
  if (buf_.size() - i < len) return status::need_more;
  frame = std::string_view(buf_).substr(i, len);
  pos_ = i + len;
  return status::frame;
}

}  // namespace chat
