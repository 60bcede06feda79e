// Differential tests of the fast codec against the generic path (for JSON,
// Boost.JSON + protobuf's JSON parser and printer; for protobuf, its own
// parser), over many generated
// frames: valid ones, and ones with escapes, surrogates, bad UTF-8,
// duplicates, unknown fields, wrong types, numbers as strings and bytes
// mutated at random. Whatever the fast path accepts or prints must be
// exactly what protobuf makes of it; what it declines, the generic path
// answers, so `chat::decode` and `chat::encode` equal the reference always.
#include <chat/codec.hpp>

#include "codec/json.hpp"
#include "codec/proto_fast.hpp"
#include "support/json_gen.hpp"

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace chat {
namespace {

namespace pb = google::protobuf;
using pb::util::MessageDifferencer;
using test::json_gen;

// Protobuf logs an error for each invalid UTF-8 string it serializes; the
// encode tests make such strings on purpose.
struct quiet_protobuf {
  pb::LogHandler* saved = pb::SetLogHandler(nullptr);
  ~quiet_protobuf() { pb::SetLogHandler(saved); }
};

struct decode_tally {
  int fast = 0;     // inputs the fast path took
  int valid = 0;    // inputs the reference accepts
  int invalid = 0;  // inputs the reference rejects
};

// One input through the fast path, the public decode and the reference.
// `fast_out` is reused across inputs, as a connection reuses its frame.
template <class Frame>
void check_decode(const std::string& in, Frame& fast_out, decode_tally& t) {
  SCOPED_TRACE(in);
  Frame want;
  const auto ref = detail::decode_json_generic(in, want);
  (ref ? t.invalid : t.valid)++;
  if (detail::decode_json_fast(in, fast_out)) {
    ++t.fast;
    ASSERT_FALSE(ref) << "fast path accepted what protobuf rejects: "
                      << ref->message;
    ASSERT_TRUE(MessageDifferencer::Equals(want, fast_out))
        << "protobuf: " << want.ShortDebugString()
        << "\nfast:     " << fast_out.ShortDebugString();
  }
  Frame got;
  const auto err = decode(in, wire_format::json, got);
  ASSERT_EQ(err.has_value(), ref.has_value());
  if (err) {
    EXPECT_EQ(err->code, ref->code);
    EXPECT_EQ(err->message, ref->message);
  } else {
    EXPECT_TRUE(MessageDifferencer::Equals(want, got));
  }
}

// 40,000 generated frames through check_decode.
template <class Frame>
void check_generated(json_gen::side side, unsigned seed) {
  json_gen gen(side, seed);
  Frame reused;
  decode_tally t;
  for (int i = 0; i < 40'000; ++i) {
    check_decode(gen.frame(), reused, t);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The generator must reach both paths and both verdicts, or this test
  // proves little.
  EXPECT_GT(t.fast, 10'000);
  EXPECT_GT(t.valid - t.fast, 2'000) << "few inputs went the generic way";
  EXPECT_GT(t.invalid, 5'000);
}

TEST(CodecDiff, DecodesGeneratedClientFramesAsProtobufDoes) {
  check_generated<v1::ClientFrame>(json_gen::client, 1);
}

TEST(CodecDiff, DecodesGeneratedServerFramesAsProtobufDoes) {
  check_generated<v1::ServerFrame>(json_gen::server, 2);
}

// Every code point, raw and as a \u escape (surrogate pairs above the BMP),
// in strings of 256 code points.
TEST(CodecDiff, DecodesEveryCodePoint) {
  decode_tally t;
  v1::ClientFrame reused;
  for (std::uint32_t base = 0; base < 0x110000; base += 256) {
    if (base >= 0xd800 && base < 0xe000) continue;
    std::string raw, escaped;
    for (std::uint32_t cp = base; cp < base + 256; ++cp) {
      if (cp >= 0x20 && cp != '"' && cp != '\\') json_gen::append_utf8(raw, cp);
      json_gen::append_escape(escaped, cp);
    }
    check_decode(R"({"send":{"text":")" + raw + R"("}})", reused, t);
    check_decode(R"({"send":{"text":")" + escaped + R"("}})", reused, t);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(t.fast, t.valid);
  EXPECT_EQ(t.invalid, 0);
}

template <class Frame>
void check_encode(const Frame& f, int& fast) {
  std::string want;
  const bool printable = pb::util::MessageToJsonString(f, &want).ok();
  std::string got = "prefix";
  if (detail::encode_json_fast(f, got)) {
    ++fast;
    ASSERT_TRUE(printable) << "protobuf cannot print " << f.ShortDebugString();
    ASSERT_EQ(got, "prefix" + want) << f.ShortDebugString();
  } else {
    ASSERT_EQ(got, "prefix") << "a declined frame left output behind";
  }
  ASSERT_EQ(encode(f, wire_format::json), want) << f.ShortDebugString();
}

TEST(CodecDiff, EncodesGeneratedFramesAsProtobufDoes) {
  const quiet_protobuf quiet;
  json_gen gen(json_gen::server, 3);
  int fast = 0;
  constexpr int rounds = 20'000;
  for (int i = 0; i < rounds; ++i) {
    check_encode(gen.server_message(), fast);
    check_encode(gen.client_message(), fast);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(fast, rounds);            // most of the 2 * rounds frames
  EXPECT_LT(fast, 2 * rounds - 500);  // and the generic path gets some
}

TEST(CodecDiff, EncodesEveryCodePoint) {
  int fast = 0;
  for (std::uint32_t base = 0; base < 0x110000; base += 256) {
    if (base >= 0xd800 && base < 0xe000) continue;
    v1::ServerFrame f;
    std::string& text = *f.mutable_message()->mutable_text();
    for (std::uint32_t cp = base; cp < base + 256; ++cp)
      json_gen::append_utf8(text, cp);
    check_encode(f, fast);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(fast, (0x110000 - 0x800) / 256);
}

// ---- protobuf binary ----

// Binary client frames: sends built field by field (any subset, in any
// order, some twice, both members of a oneof), with ASCII, multi-byte
// UTF-8, invalid UTF-8 and random strings; unknown fields and wrong wire
// types; other frame types, two frames in one; and some mutated at random
// (a byte changed, cut short, bytes added) or with a non-minimal length.
class proto_gen {
 public:
  explicit proto_gen(unsigned seed) : rng_(seed) {}

  std::string frame() {
    std::string out;
    const int kind = pick(100);
    if (kind < 80) {
      put_len(out, 2, send());
    } else if (kind < 88) {
      std::string ping;
      if (pick(2)) put_len(ping, 1, text());
      put_len(out, 3 + static_cast<unsigned>(pick(2)), ping);  // ping, pong
    } else if (kind < 94) {
      put_len(out, 2, send());
      put_len(out, 2, send());  // merged by protobuf
    } else if (kind < 97) {
      // A send whose length is padded with needless continuation bytes:
      // 2 to 5 bytes protobuf reads, 6 or 10 it refuses.
      static const int widths[] = {2, 3, 5, 6, 10};
      out = "\x12";
      const std::string body = send();
      const int width = widths[pick(5)];
      std::size_t n = body.size();
      for (int i = 0; i + 1 < width; ++i, n >>= 7)
        out.push_back(static_cast<char>(0x80 | (n & 0x7f)));
      out.push_back(static_cast<char>(n & 0x7f));
      out += body;
    }  // else: empty
    if (pick(100) < 15) mutate(out);
    return out;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string text() {
    static const char* const words[] = {
        "u42", "c-1", "héllo", "日本語", "😀 ok", "", "alice@example.com"};
    switch (pick(14)) {
      case 0: {  // random bytes: often not UTF-8
        std::string s(static_cast<std::size_t>(pick(12)), '\0');
        for (char& c : s) c = static_cast<char>(pick(256));
        return s;
      }
      case 1:  // cut inside a multi-byte sequence
        return std::string("\xe6\x97\xa5\xe6", 4);
      case 2:  // a surrogate, and an overlong slash
        return pick(2) ? "\xed\xa0\x80" : "\xc0\xaf";
      case 3:
        return std::string(static_cast<std::size_t>(pick(300)), 'x');
      default:
        return words[pick(7)];
    }
  }

  std::string send() {
    struct field {
      unsigned number;
      std::string value;
    };
    std::vector<field> fields;
    for (unsigned n = 1; n <= 5; ++n) {
      const int chance = n == 3 || n == 5 ? 25 : 75;
      if (pick(100) < chance) fields.push_back({n, text()});
      if (pick(100) < 4) fields.push_back({n, text()});  // twice
    }
    std::shuffle(fields.begin(), fields.end(), rng_);
    std::string out;
    for (const field& f : fields) put_len(out, f.number, f.value);
    if (pick(100) < 5) {  // unknown field 9, varint
      out.push_back(static_cast<char>(9 << 3));
      out.push_back(static_cast<char>(pick(128)));
    }
    if (pick(100) < 3) {  // field 1 as a varint: the wrong wire type
      out.push_back(static_cast<char>(1 << 3));
      out.push_back(1);
    }
    return out;
  }

  void mutate(std::string& s) {
    switch (pick(3)) {
      case 0:
        if (!s.empty())
          s[static_cast<std::size_t>(pick(static_cast<int>(s.size())))] =
              static_cast<char>(pick(256));
        break;
      case 1:
        s.resize(
            static_cast<std::size_t>(pick(static_cast<int>(s.size()) + 1)));
        break;
      default:
        s.push_back(static_cast<char>(pick(256)));
    }
  }

  static void put_len(std::string& out, unsigned number, std::string_view v) {
    out.push_back(static_cast<char>(number << 3 | 2));
    for (std::size_t n = v.size();; n >>= 7) {
      out.push_back(static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0)));
      if (n <= 0x7f) break;
    }
    out.append(v);
  }

  std::mt19937 rng_;
};

// One binary input through the fast path, the public decode and protobuf's
// parser (with a fresh frame each time). `fast_out` and `reused` are reused
// across inputs, as a connection reuses its frame.
void check_proto_decode(const std::string& in, v1::ClientFrame& fast_out,
                        v1::ClientFrame& reused, decode_tally& t) {
  SCOPED_TRACE(testing::PrintToString(in));
  v1::ClientFrame want;
  const bool ok = want.ParseFromString(in) &&
                  want.frame_case() != v1::ClientFrame::FRAME_NOT_SET;
  (ok ? t.valid : t.invalid)++;
  if (detail::decode_proto_fast(in, fast_out)) {
    ++t.fast;
    ASSERT_TRUE(ok) << "fast path accepted what protobuf rejects";
    ASSERT_TRUE(MessageDifferencer::Equals(want, fast_out))
        << "protobuf: " << want.ShortDebugString()
        << "\nfast:     " << fast_out.ShortDebugString();
  }
  const auto err = decode(in, wire_format::protobuf, reused);
  ASSERT_EQ(!err, ok);
  if (!err) {
    ASSERT_TRUE(MessageDifferencer::Equals(want, reused))
        << "protobuf: " << want.ShortDebugString()
        << "\ndecode:   " << reused.ShortDebugString();
  }
}

TEST(CodecDiff, DecodesGeneratedBinaryClientFramesAsProtobufDoes) {
  const quiet_protobuf quiet;  // it logs each string that is not UTF-8
  proto_gen gen(4);
  v1::ClientFrame fast_out, reused;
  decode_tally t;
  for (int i = 0; i < 40'000; ++i) {
    check_proto_decode(gen.frame(), fast_out, reused, t);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(t.fast, 5'000);
  EXPECT_GT(t.valid - t.fast, 2'000) << "few inputs went the generic way";
  EXPECT_GT(t.invalid, 5'000);
}

// A send decoded into a frame that held another send keeps nothing of it,
// and allocates nothing: the strings are the ones the last send left.
TEST(CodecDiff, BinarySendsReuseTheFramesStrings) {
  v1::ClientFrame first;
  v1::Send& a = *first.mutable_send();
  a.set_id("c-1");
  a.set_to_connection("k3DxlmOz0Qe");
  a.set_data(std::string(200, 'd'));
  v1::ClientFrame second;
  second.mutable_send()->set_to("bob");
  second.mutable_send()->set_text(std::string(150, 't'));

  v1::ClientFrame reused;
  ASSERT_FALSE(
      decode(first.SerializeAsString(), wire_format::protobuf, reused));
  ASSERT_FALSE(
      decode(second.SerializeAsString(), wire_format::protobuf, reused));
  EXPECT_TRUE(MessageDifferencer::Equals(reused, second))
      << reused.ShortDebugString();
  const std::string* text = &reused.send().text();
  const std::string* to = &reused.send().to();
  const std::size_t capacity = text->capacity();
  second.mutable_send()->set_to("carol");
  second.mutable_send()->set_text(std::string(100, 'u'));
  ASSERT_FALSE(
      decode(second.SerializeAsString(), wire_format::protobuf, reused));
  EXPECT_EQ(reused.send().text(), std::string(100, 'u'));
  EXPECT_EQ(reused.send().to(), "carol");
  EXPECT_TRUE(reused.send().id().empty());
  EXPECT_EQ(&reused.send().text(), text);  // the same strings, reused
  EXPECT_EQ(&reused.send().to(), to);
  EXPECT_EQ(reused.send().text().capacity(), capacity);
}

}  // namespace
}  // namespace chat
