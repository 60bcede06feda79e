// Differential tests of the fast JSON codec against the generic path
// (Boost.JSON + protobuf's JSON parser and printer), over many generated
// frames: valid ones, and ones with escapes, surrogates, bad UTF-8,
// duplicates, unknown fields, wrong types, numbers as strings and bytes
// mutated at random. Whatever the fast path accepts or prints must be
// exactly what protobuf makes of it; what it declines, the generic path
// answers, so `chat::decode` and `chat::encode` equal the reference always.
#include <chat/codec.hpp>

#include "codec/json.hpp"
#include "support/json_gen.hpp"

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

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

}  // namespace
}  // namespace chat
