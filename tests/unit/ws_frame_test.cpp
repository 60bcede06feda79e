// RFC 6455 framing without I/O: every violation gets its section 7.4.1
// close code, sizes are checked before anything is buffered, and what the
// writer makes is exactly the wire format.
#include "transport/ws_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ws = chat::detail::ws;

namespace {

// A client frame: `first` is the whole first byte (FIN, RSV, opcode).
std::string client_frame(unsigned char first, std::string_view payload,
                         bool masked = true, int length_form = 0) {
  std::string f;
  f.push_back(static_cast<char>(first));
  const unsigned char mask_bit = masked ? 0x80 : 0;
  const std::size_t n = payload.size();
  const int form = length_form   ? length_form
                   : n < 126     ? 1
                   : n <= 0xFFFF ? 2
                                 : 3;
  if (form == 1) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if (form == 2) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) {
      f.push_back(static_cast<char>(static_cast<std::uint64_t>(n) >> (8 * i)));
    }
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i) {
    f.push_back(static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0)));
  }
  return f;
}

std::string text(std::string_view s, bool fin = true) {
  return client_frame((fin ? 0x80 : 0) | 0x1, s);
}
std::string cont(std::string_view s, bool fin = true) {
  return client_frame((fin ? 0x80 : 0) | 0x0, s);
}

struct seen {
  ws::event::kind what;
  ws::opcode op;
  std::uint16_t code;
  std::string payload;
};

// Feeds `wire` `chunk` bytes at a time, as reads would bring it, and
// collects the events up to the first close or failure.
std::vector<seen> feed(std::string wire, std::size_t chunk = 0,
                       std::size_t max = 1 << 20) {
  ws::reader r(max);
  std::vector<seen> out;
  std::string buf;
  std::size_t pos = 0;
  if (chunk == 0) chunk = wire.size();
  while (pos < wire.size() || !buf.empty()) {
    if (pos < wire.size()) {
      buf.append(wire, pos, chunk);
      pos += std::min(chunk, wire.size() - pos);
    }
    std::size_t used = 0;
    for (;;) {
      ws::event ev;
      const std::size_t n = r.next(buf.data() + used, buf.size() - used, ev);
      used += n;
      if (ev.what == ws::event::need_more) {
        if (n == 0) break;
        continue;
      }
      out.push_back({ev.what, ev.op, ev.code, std::string(ev.payload)});
      if (ev.what == ws::event::close || ev.what == ws::event::fail) {
        return out;
      }
    }
    buf.erase(0, used);
    if (pos >= wire.size()) break;
  }
  return out;
}

seen only(const std::vector<seen>& v) {
  EXPECT_EQ(v.size(), 1u);
  return v.empty() ? seen{ws::event::need_more, {}, 0, {}} : v.back();
}

void expect_fail(const std::string& wire, std::uint16_t code,
                 std::string_view reason) {
  const auto v = feed(wire);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v.back().what, ws::event::fail);
  EXPECT_EQ(v.back().code, code);
  EXPECT_EQ(v.back().payload, reason);
}

}  // namespace

TEST(WsFrame, AWholeTextMessageIsHandedOutInPlaceUnmasked) {
  std::string wire = text(R"({"send":{"to":"bob","text":"hi"}})");
  ws::reader r(1 << 20);
  ws::event ev;
  const std::size_t n = r.next(wire.data(), wire.size(), ev);
  EXPECT_EQ(n, wire.size());
  EXPECT_EQ(ev.what, ws::event::message);
  EXPECT_EQ(ev.op, ws::opcode::text);
  EXPECT_EQ(ev.payload, R"({"send":{"to":"bob","text":"hi"}})");
  // Zero copy: the view points into the caller's buffer.
  EXPECT_GE(ev.payload.data(), wire.data());
  EXPECT_LT(ev.payload.data(), wire.data() + wire.size());
  // Nothing gathered: no buffer made.
  EXPECT_EQ(r.buffered_capacity(), 0u);
}

TEST(WsFrame, EveryLengthFormAndEverySplitGivesTheSameMessages) {
  const std::string small(125, 'a'), mid(126, 'b'), big(70000, 'c');
  const std::string bin("\x00\xff\x80", 3);
  const std::string wire =
      text(small) + text(mid) + text(big) + client_frame(0x82, bin) + text("");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7},
                            std::size_t{4096}, wire.size()}) {
    const auto v = feed(wire, chunk);
    ASSERT_EQ(v.size(), 5u) << "chunk " << chunk;
    EXPECT_EQ(v[0].payload, small);
    EXPECT_EQ(v[1].payload, mid);
    EXPECT_EQ(v[2].payload, big);
    EXPECT_EQ(v[3].op, ws::opcode::binary);
    EXPECT_EQ(v[3].payload, bin);
    EXPECT_EQ(v[4].payload, "");
  }
}

TEST(WsFrame, WantSaysHowMuchTheFrameAtTheStartNeeds) {
  std::string wire = text(std::string(1000, 'x'));
  ws::reader r(1 << 20);
  ws::event ev;
  EXPECT_EQ(r.next(wire.data(), 1, ev), 0u);
  EXPECT_EQ(r.want(), 0u);  // not even the header yet
  EXPECT_EQ(r.next(wire.data(), 100, ev), 0u);
  EXPECT_EQ(ev.what, ws::event::need_more);
  EXPECT_EQ(r.want(), wire.size());
}

TEST(WsFrame, FragmentsAreJoinedAndControlFramesMayComeBetween) {
  const std::string wire = text("he", false) +
                           client_frame(0x89, "are you there") +
                           cont("ll", false) + cont("o");
  const auto v = feed(wire);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].what, ws::event::ping);
  EXPECT_EQ(v[0].payload, "are you there");
  EXPECT_EQ(v[1].what, ws::event::message);
  EXPECT_EQ(v[1].payload, "hello");
}

TEST(WsFrame, UTF8SplitAcrossFragmentsIsAccepted) {
  const std::string euro = "\xe2\x82\xac";  // U+20AC in three bytes
  const auto v = feed(text(euro.substr(0, 1), false) +
                      cont(euro.substr(1, 1), false) + cont(euro.substr(2)));
  EXPECT_EQ(only(v).payload, euro);
}

TEST(WsFrame, InvalidUTF8FailsWith1007AsSoonAsAFragmentShowsIt) {
  expect_fail(text("\xc0\xaf"), 1007, "text not UTF-8");      // overlong '/'
  expect_fail(text("\xed\xa0\x80"), 1007, "text not UTF-8");  // surrogate
  // A bad byte in the first fragment fails before the message ends.
  const auto v = feed(text("ok \xff", false));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].code, 1007);
  // A sequence cut at the end of a fragment that can never complete.
  expect_fail(text("\xf4\x90", false) + cont("\x80\x80"), 1007,
              "text not UTF-8");
  // Binary messages are not text: any bytes go.
  EXPECT_EQ(only(feed(client_frame(0x82, "\xff\xfe"))).what,
            ws::event::message);
}

TEST(WsFrame, ProtocolViolationsFailWith1002) {
  expect_fail(client_frame(0x81, "hi", false), 1002, "client frame not masked");
  expect_fail(client_frame(0xC1, "hi"), 1002, "reserved bits set");  // RSV1
  expect_fail(client_frame(0xA1, "hi"), 1002, "reserved bits set");  // RSV2
  expect_fail(client_frame(0x91, "hi"), 1002, "reserved bits set");  // RSV3
  for (unsigned op : {0x3u, 0x7u, 0xBu, 0xFu}) {
    expect_fail(client_frame(static_cast<unsigned char>(0x80 | op), ""), 1002,
                "reserved opcode");
  }
  expect_fail(client_frame(0x09, "ping"), 1002, "fragmented control");
  expect_fail(client_frame(0x89, std::string(126, 'p')), 1002,
              "control frame too long");
  expect_fail(cont("orphan"), 1002, "continuation without start");
  expect_fail(text("a", false) + text("b"), 1002, "message interrupted");
  expect_fail(client_frame(0x81, "short", true, 2), 1002, "length not minimal");
  expect_fail(client_frame(0x81, std::string(200, 'x'), true, 3), 1002,
              "length not minimal");
}

TEST(WsFrame, CloseFramesAreCheckedAndTheirCodeAndReasonHandedOut) {
  const auto close = [](std::uint16_t code, std::string_view reason) {
    std::string body{static_cast<char>(code >> 8), static_cast<char>(code)};
    body.append(reason);
    return client_frame(0x88, body);
  };
  auto v = only(feed(close(1000, "bye")));
  EXPECT_EQ(v.what, ws::event::close);
  EXPECT_EQ(v.code, 1000);
  EXPECT_EQ(v.payload, "bye");
  EXPECT_EQ(only(feed(client_frame(0x88, ""))).code, 1005);
  EXPECT_EQ(only(feed(close(4000, ""))).code, 4000);
  expect_fail(client_frame(0x88, "x"), 1002, "close payload of 1 byte");
  for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 1100, 2999, 5000}) {
    expect_fail(close(bad, ""), 1002, "invalid close code");
  }
  expect_fail(close(1000, "\xff"), 1007, "close reason not UTF-8");
}

TEST(WsFrame, OversizedMessagesFailWith1009BeforeAnythingIsBuffered) {
  // Only the header has arrived: the declared length alone decides.
  std::string header = client_frame(0x81, std::string(70000, 'x'));
  header.resize(14);
  auto v = feed(header, 0, 65536);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].code, 1009);
  EXPECT_EQ(v[0].payload, "message too big");

  // 2^63 - 1 bytes claimed, and 2^63 (out of range).
  std::string huge = "\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff";
  huge.append("abcd");
  expect_fail(huge, 1009, "message too big");
  huge[2] = '\x80';
  huge[9] = '\x00';
  expect_fail(huge, 1002, "length out of range");

  // Fragments count together: the one that passes the limit fails.
  ws::reader r(100);
  std::string wire =
      text(std::string(60, 'a'), false) + cont(std::string(60, 'b'));
  ws::event ev;
  const std::size_t n = r.next(wire.data(), wire.size(), ev);
  EXPECT_EQ(ev.what, ws::event::need_more);
  EXPECT_EQ(r.next(wire.data() + n, wire.size() - n, ev), 0u);
  EXPECT_EQ(ev.what, ws::event::fail);
  EXPECT_EQ(ev.code, 1009);
  EXPECT_LE(r.buffered_capacity(), 100u);
}

TEST(WsFrame, TheWriterMakesFinalUnmaskedFramesInEveryLengthForm) {
  std::string out;
  ws::append_frame(out, ws::opcode::text, "hi");
  EXPECT_EQ(out, std::string("\x81\x02hi", 4));

  for (std::size_t n : {125u, 126u, 65535u, 65536u, 100000u}) {
    out.clear();
    ws::append_frame(out, ws::opcode::binary, std::string(n, 'z'));
    const std::size_t h = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    ASSERT_EQ(out.size(), h + n);
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x82);
    std::uint64_t len = static_cast<unsigned char>(out[1]);
    if (h == 4)
      len = (static_cast<unsigned char>(out[2]) << 8) |
            static_cast<unsigned char>(out[3]);
    if (h == 10) {
      len = 0;
      for (int i = 2; i < 10; ++i) {
        len = (len << 8) | static_cast<unsigned char>(out[i]);
      }
    }
    EXPECT_EQ(len, n);
  }
}

TEST(WsFrame, CloseReasonsAreCutToFitAtACharacterBoundary) {
  std::string out;
  ws::append_close(out, 1009, "too big");
  EXPECT_EQ(out, std::string("\x88\x09\x03\xf1too big", 11));

  std::string reason(122, 'a');
  reason += "\xe2\x82\xac";  // a 3-byte character across byte 123
  out.clear();
  ws::append_close(out, 1000, reason);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 2u + 122u);
  EXPECT_EQ(out.substr(4), std::string(122, 'a'));
}

TEST(WsFrame, UnmaskIsItsOwnInverseAtEveryPhaseAndLength) {
  const unsigned char key[4] = {1, 2, 3, 250};
  for (std::size_t n = 0; n < 40; ++n) {
    for (std::size_t phase = 0; phase < 4; ++phase) {
      std::string s;
      for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i * 7));
      std::string t = s;
      ws::unmask(t.data(), t.size(), key, phase);
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(static_cast<unsigned char>(t[i]),
                  static_cast<unsigned char>(s[i]) ^ key[(phase + i) & 3]);
      }
      ws::unmask(t.data(), t.size(), key, phase);
      EXPECT_EQ(t, s);
    }
  }
}
