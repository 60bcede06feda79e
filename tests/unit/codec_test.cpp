// Unit tests of the frame codec (JSON and protobuf), subprotocol
// negotiation, the error category and the envelope's shared encodings.
#include <chat/codec.hpp>
#include <chat/envelope.hpp>
#include <chat/error.hpp>

#include "codec/json_reader.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace chat {
namespace {

namespace pb = google::protobuf;
using pb::util::MessageDifferencer;

// 2026-11-27T21:04:05.123Z
constexpr std::int64_t doc_seconds = 1'795'813'445;
constexpr std::int32_t doc_nanos = 123'000'000;

// ---- one sample per oneof member ----

std::vector<v1::ClientFrame> client_samples() {
  std::vector<v1::ClientFrame> out(7);
  out[0].mutable_hello()->set_user("alice");
  out[0].mutable_hello()->set_token("t0k");
  v1::Send* s = out[1].mutable_send();
  s->set_id("c-1");
  s->set_to("bob");
  s->set_text("hi bob");
  s = out[2].mutable_send();
  s->set_id("c-2");
  s->set_to_connection("n1-c-9b21");
  s->set_data(std::string("\x00\x01\xfb\xff", 4));
  out[3].mutable_ping()->set_id("p1");
  out[4].mutable_pong()->set_id("p2");
  out[5].mutable_ack()->set_message_id("n1-18c-2a");
  out[5].mutable_ack()->set_cumulative(true);
  out[6].mutable_receipt()->set_message_id("n1-18c-2b");
  out[6].mutable_receipt()->set_status(v1::Receipt::READ);
  return out;
}

std::vector<v1::ServerFrame> server_samples() {
  std::vector<v1::ServerFrame> out(9);
  out[0].mutable_welcome()->set_connection_id("c1");
  out[0].mutable_welcome()->set_user("alice");
  v1::Sent* sent = out[1].mutable_sent();
  sent->set_id("c-1");
  sent->set_message_id("m1");
  sent->set_status(v1::Sent::DELIVERED);
  v1::Message* m = out[2].mutable_message();
  m->set_message_id("m1");
  m->set_from("alice");
  m->set_to("bob");
  m->set_data(std::string("\x00\x01\x02", 3));
  m->mutable_sent_at()->set_seconds(doc_seconds);
  m->mutable_sent_at()->set_nanos(doc_nanos);
  m->set_from_connection("c1");
  v1::Error* e = out[3].mutable_error();
  e->set_id("c-1");
  e->set_code(v1::Error::RECIPIENT_OFFLINE);
  e->set_message("x");
  out[4].mutable_pong()->set_id("p1");
  out[5].mutable_ping()->set_id("p2");
  out[6].mutable_close()->set_code(1001);
  out[6].mutable_close()->set_reason("going away");
  v1::Receipt* r = out[7].mutable_receipt();
  r->set_message_id("m1");
  r->set_id("c-1");
  r->set_status(v1::Receipt::DELIVERED);
  r->set_by("bob");
  r->mutable_at()->set_seconds(doc_seconds);
  r->mutable_at()->set_nanos(doc_nanos);
  v1::Message* copy = out[8].mutable_message();
  copy->set_message_id("m2");
  copy->set_from("alice");
  copy->set_to("bob");
  copy->set_text("hi");
  copy->set_copy(true);
  copy->set_id("c-2");
  return out;
}

// The field numbers of `Frame`'s `frame` oneof that `samples` leave untested.
template <class Frame>
std::set<int> uncovered(const std::vector<Frame>& samples) {
  std::set<int> missing;
  const pb::OneofDescriptor* oneof = Frame::descriptor()->oneof_decl(0);
  for (int i = 0; i < oneof->field_count(); ++i) {
    missing.insert(oneof->field(i)->number());
  }
  for (const Frame& f : samples)
    missing.erase(static_cast<int>(f.frame_case()));
  return missing;
}

template <class Frame>
void expect_round_trips(const std::vector<Frame>& samples, wire_format f) {
  for (const Frame& in : samples) {
    SCOPED_TRACE(in.ShortDebugString());
    const std::string bytes = encode(in, f);
    Frame out;
    const auto err = decode(bytes, f, out);
    ASSERT_FALSE(err) << err->message << " decoding " << bytes;
    EXPECT_TRUE(MessageDifferencer::Equals(in, out))
        << "decoded " << out.ShortDebugString() << " from " << bytes;
  }
}

TEST(Codec, SamplesCoverEveryFrameType) {
  EXPECT_TRUE(uncovered(client_samples()).empty());
  EXPECT_TRUE(uncovered(server_samples()).empty());
}

TEST(Codec, ClientFramesRoundTripJson) {
  expect_round_trips(client_samples(), wire_format::json);
}

TEST(Codec, ClientFramesRoundTripProtobuf) {
  expect_round_trips(client_samples(), wire_format::protobuf);
}

TEST(Codec, ServerFramesRoundTripJson) {
  expect_round_trips(server_samples(), wire_format::json);
}

TEST(Codec, ServerFramesRoundTripProtobuf) {
  expect_round_trips(server_samples(), wire_format::protobuf);
}

// ---- exact JSON output ----

TEST(Codec, EncodesDocumentedJsonShapes) {
  const auto s = server_samples();
  EXPECT_EQ(encode(s[0], wire_format::json),
            R"({"welcome":{"connectionId":"c1","user":"alice"}})");
  EXPECT_EQ(encode(s[1], wire_format::json),
            R"({"sent":{"id":"c-1","messageId":"m1","status":"DELIVERED"}})");
  EXPECT_EQ(encode(s[2], wire_format::json),
            R"({"message":{"messageId":"m1","from":"alice","to":"bob",)"
            R"("data":"AAEC","sentAt":"2026-11-27T21:04:05.123Z",)"
            R"("fromConnection":"c1"}})");
  EXPECT_EQ(
      encode(s[3], wire_format::json),
      R"({"error":{"id":"c-1","code":"RECIPIENT_OFFLINE","message":"x"}})");
  EXPECT_EQ(encode(s[6], wire_format::json),
            R"({"close":{"code":1001,"reason":"going away"}})");
  EXPECT_EQ(encode(s[7], wire_format::json),
            R"({"receipt":{"messageId":"m1","id":"c-1","status":"DELIVERED",)"
            R"("by":"bob","at":"2026-11-27T21:04:05.123Z"}})");
  EXPECT_EQ(encode(s[8], wire_format::json),
            R"({"message":{"messageId":"m2","from":"alice","to":"bob",)"
            R"("text":"hi","copy":true,"id":"c-2"}})");
}

TEST(Codec, EncodeAppendsToItsBuffer) {
  for (const wire_format f : {wire_format::json, wire_format::protobuf}) {
    for (const v1::ServerFrame& frame : server_samples()) {
      std::string out = "head";
      encode(frame, f, out);
      EXPECT_EQ(out, "head" + encode(frame, f));
    }
    for (const v1::ClientFrame& frame : client_samples()) {
      std::string out = "head";
      encode(frame, f, out);
      EXPECT_EQ(out, "head" + encode(frame, f));
    }
  }
}

TEST(Codec, EncodesEmptyPongAsEmptyObject) {
  v1::ServerFrame pong;
  pong.mutable_pong();
  EXPECT_EQ(encode(pong, wire_format::json), R"({"pong":{}})");
}

// ---- JSON input: what protobuf's own parser accepts ----

template <class Frame>
struct accept_case {
  const char* name;
  std::string json;
  Frame want;
};

template <class Frame>
void expect_accepts_like_protobuf(
    const std::vector<accept_case<Frame>>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + ": " + c.json);
    Frame ours;
    const auto err = decode(c.json, wire_format::json, ours);
    ASSERT_FALSE(err) << err->message;
    EXPECT_TRUE(MessageDifferencer::Equals(c.want, ours))
        << ours.ShortDebugString();

    Frame theirs;
    pb::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    ASSERT_TRUE(pb::util::JsonStringToMessage(c.json, &theirs, opts).ok());
    EXPECT_TRUE(MessageDifferencer::Equals(theirs, ours))
        << "protobuf: " << theirs.ShortDebugString()
        << ", ours: " << ours.ShortDebugString();
  }
}

v1::ClientFrame send_frame(std::string id, std::string to, std::string text) {
  v1::ClientFrame f;
  f.mutable_send()->set_id(std::move(id));
  f.mutable_send()->set_to(std::move(to));
  f.mutable_send()->set_text(std::move(text));
  return f;
}

TEST(Codec, JsonAcceptsClientFramesAsProtobufDoes) {
  v1::ClientFrame to_conn;
  to_conn.mutable_send()->set_id("c-1");
  to_conn.mutable_send()->set_to_connection("n1-c-2");
  to_conn.mutable_send()->set_text("hi");
  v1::ClientFrame bytes;
  bytes.mutable_send()->set_to("bob");
  bytes.mutable_send()->set_data("\xfb\xff");
  v1::ClientFrame ping;
  ping.mutable_ping()->set_id("p1");
  v1::ClientFrame hello;
  hello.mutable_hello()->set_user("alice");

  expect_accepts_like_protobuf<v1::ClientFrame>({
      {"camelCase",
       R"({"send":{"id":"c-1","toConnection":"n1-c-2","text":"hi"}})", to_conn},
      {"snake_case",
       R"({"send":{"id":"c-1","to_connection":"n1-c-2","text":"hi"}})",
       to_conn},
      {"url-safe base64", R"({"send":{"to":"bob","data":"-_8"}})", bytes},
      {"url-safe base64, padded", R"({"send":{"to":"bob","data":"-_8="}})",
       bytes},
      {"standard base64", R"({"send":{"to":"bob","data":"+/8="}})", bytes},
      {"unknown fields",
       R"({"send":{"id":"c-1","to":"bob","text":"x",)"
       R"("priority":5,"meta":{"a":[1,null]}},"trace":"t"})",
       send_frame("c-1", "bob", "x")},
      {"unknown frame next to a known one",
       R"({"typing":{},"ping":{"id":"p1"}})", ping},
      {"whitespace", " \r\n\t{ \"ping\" :\n { \"id\" : \"p1\" }\t}\n ", ping},
      {"null field", R"({"send":{"id":null,"to":"bob","text":"x"}})",
       send_frame("", "bob", "x")},
      {"hello", R"({"hello":{"user":"alice"}})", hello},
  });
}

TEST(Codec, JsonAcceptsServerFramesAsProtobufDoes) {
  const auto s = server_samples();
  v1::ServerFrame offline;
  offline.mutable_error()->set_code(v1::Error::RECIPIENT_OFFLINE);
  v1::ServerFrame micro;
  micro.mutable_message()->mutable_sent_at()->set_seconds(doc_seconds);
  micro.mutable_message()->mutable_sent_at()->set_nanos(123'456'000);
  v1::ServerFrame whole;
  whole.mutable_message()->mutable_sent_at()->set_seconds(doc_seconds);

  expect_accepts_like_protobuf<v1::ServerFrame>({
      {"enum as number", R"({"sent":{"id":"c-1","messageId":"m1","status":1}})",
       s[1]},
      {"enum as name",
       R"({"sent":{"id":"c-1","message_id":"m1",)"
       R"("status":"DELIVERED"}})",
       s[1]},
      {"error code as number", R"({"error":{"code":4}})", offline},
      {"snake_case message",
       R"({"message":{"message_id":"m1","from":"alice","to":"bob",)"
       R"("data":"AAEC","sent_at":"2026-11-27T21:04:05.123Z",)"
       R"("from_connection":"c1"}})",
       s[2]},
      {"6 fraction digits",
       R"({"message":{"sentAt":"2026-11-27T21:04:05.123456Z"}})", micro},
      {"9 fraction digits",
       R"({"message":{"sentAt":"2026-11-27T21:04:05.123456000Z"}})", micro},
      {"no fraction", R"({"message":{"sentAt":"2026-11-27T21:04:05Z"}})",
       whole},
      {"unknown fields",
       R"({"welcome":{"connectionId":"c1","user":"alice",)"
       R"("region":"eu"},"v":2})",
       s[0]},
  });
}

// ---- JSON errors ----

struct reject_case {
  std::string json;
  errc code;
};

TEST(Codec, JsonRejectsBadClientFramesWithTheRightCode) {
  const std::vector<reject_case> cases = {
      {"not json", errc::malformed_frame},
      {R"({"send":)", errc::malformed_frame},
      {R"({"send":{}} trailing)", errc::malformed_frame},
      {"", errc::malformed_frame},
      // Stricter than protobuf's lenient parser, which takes these: a JSON
      // frame is RFC 8259 JSON.
      {"{ping:{}}", errc::malformed_frame},
      {"{'ping':{}}", errc::malformed_frame},
      {R"({"ping":{},})", errc::malformed_frame},
      {"[]", errc::invalid_frame},
      {R"("x")", errc::invalid_frame},
      {"5", errc::invalid_frame},
      {"null", errc::invalid_frame},
      {"{}", errc::unknown_frame},
      {R"({"typing":{}})", errc::unknown_frame},
      {R"({"send":{"to":5}})", errc::invalid_frame},
      {R"({"send":{"id":1,"to":"bob"}})", errc::invalid_frame},
      {R"({"ping":5})", errc::invalid_frame},
      {R"({"ping":{},"pong":{}})", errc::invalid_frame},
      {R"({"send":{"to":"a","toConnection":"b","text":"x"}})",
       errc::invalid_frame},
      {R"({"send":{"to":"a","text":"x","data":"AA=="}})", errc::invalid_frame},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    v1::ClientFrame out;
    const auto err = decode(c.json, wire_format::json, out);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, c.code) << err->message;
    EXPECT_FALSE(err->message.empty());
  }
}

TEST(Codec, JsonRejectsBadServerFramesWithTheRightCode) {
  const std::vector<reject_case> cases = {
      {"{not json", errc::malformed_frame},
      {"[]", errc::invalid_frame},
      {"{}", errc::unknown_frame},
      {R"({"send":{"to":"bob"}})", errc::unknown_frame},
      {R"({"sent":{},"welcome":{}})", errc::invalid_frame},
      {R"({"sent":{"status":[]}})", errc::invalid_frame},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    v1::ServerFrame out;
    const auto err = decode(c.json, wire_format::json, out);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, c.code) << err->message;
  }
}

TEST(Codec, UnknownFrameErrorNamesTheFrameType) {
  v1::ClientFrame out;
  const auto err = decode(R"({"typing":{}})", wire_format::json, out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::unknown_frame);
  EXPECT_NE(err->message.find("typing"), std::string::npos) << err->message;
}

TEST(Codec, DecodeReplacesPreviousContent) {
  for (const wire_format f : {wire_format::json, wire_format::protobuf}) {
    v1::ClientFrame out = send_frame("c-1", "bob", "x");
    v1::ClientFrame ping;
    ping.mutable_ping()->set_id("p1");
    ASSERT_FALSE(decode(encode(ping, f), f, out));
    EXPECT_TRUE(MessageDifferencer::Equals(ping, out))
        << out.ShortDebugString();
  }
}

TEST(Codec, JsonDecodeIntoAReusedFrameKeepsNothingOfTheLast) {
  // A send with a body and an unknown field 9 inside it (from a newer
  // client), decoded as protobuf, then a JSON send without a body into the
  // same frame: the result is what a fresh frame gets.
  v1::ClientFrame first = send_frame("c-1", "bob", "x");
  std::string bytes = first.send().SerializeAsString() + "\x48\x01";
  v1::ClientFrame wire;
  *wire.mutable_send() = v1::Send();
  ASSERT_TRUE(wire.mutable_send()->ParseFromString(bytes));
  v1::ClientFrame reused;
  ASSERT_FALSE(decode(wire.SerializeAsString(), wire_format::protobuf, reused));
  const std::string json = R"({"send":{"toConnection":"n1-c-2"}})";
  ASSERT_FALSE(decode(json, wire_format::json, reused));
  v1::ClientFrame fresh;
  ASSERT_FALSE(decode(json, wire_format::json, fresh));
  EXPECT_TRUE(MessageDifferencer::Equals(fresh, reused))
      << reused.ShortDebugString();
  EXPECT_EQ(reused.send().body_case(), v1::Send::BODY_NOT_SET);
  EXPECT_TRUE(reused.send().id().empty());
}

// ---- protobuf errors ----

TEST(Codec, ProtobufRejectsGarbageAsMalformed) {
  std::string truncated = encode(client_samples()[1], wire_format::protobuf);
  truncated.pop_back();
  for (const std::string& bytes :
       {std::string("\xff\xff\xff"), std::string("\x12\x05\x0a"), truncated}) {
    v1::ClientFrame out;
    const auto err = decode(bytes, wire_format::protobuf, out);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, errc::malformed_frame);
  }
  v1::ServerFrame out;
  const auto err = decode("\xff\xff\xff", wire_format::protobuf, out);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::malformed_frame);
}

TEST(Codec, ProtobufWithoutAKnownFrameIsUnknown) {
  // Empty, and field 8 (varint 1): a frame type from a later version.
  for (const std::string& bytes : {std::string(), std::string("\x40\x01")}) {
    v1::ClientFrame client;
    const auto err = decode(bytes, wire_format::protobuf, client);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, errc::unknown_frame);
    v1::ServerFrame server;
    const auto err2 = decode(bytes, wire_format::protobuf, server);
    ASSERT_TRUE(err2);
    EXPECT_EQ(err2->code, errc::unknown_frame);
  }
}

TEST(Codec, ProtobufIgnoresUnknownFieldsNextToAKnownFrame) {
  const v1::ClientFrame ping = client_samples()[3];
  const std::string bytes = encode(ping, wire_format::protobuf) + "\x40\x01";
  v1::ClientFrame out;
  ASSERT_FALSE(decode(bytes, wire_format::protobuf, out));
  EXPECT_EQ(out.ping().id(), "p1");
}

// ---- subprotocols ----

TEST(Codec, NegotiatesSubprotocol) {
  struct row {
    std::string offer;
    std::optional<wire_format> want;
  };
  const std::vector<row> rows = {
      {"", wire_format::json},
      {"  ", wire_format::json},
      {"chat.v1.json", wire_format::json},
      {"chat.v1.proto", wire_format::protobuf},
      {"foo, chat.v1.json", wire_format::json},
      {" chat.v1.proto , chat.v1.json", wire_format::protobuf},
      {"chat.v1.json,chat.v1.proto", wire_format::json},
      {"foo,\tchat.v1.proto", wire_format::protobuf},
      {"foo", std::nullopt},
      {"foo, bar", std::nullopt},
      {"chat.v1.jsonx", std::nullopt},
      {"chat.v2.json", std::nullopt},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(negotiate_subprotocol(r.offer), r.want) << '"' << r.offer << '"';
  }
}

TEST(Codec, NamesSubprotocols) {
  EXPECT_EQ(subprotocol_name(wire_format::json), "chat.v1.json");
  EXPECT_EQ(subprotocol_name(wire_format::protobuf), "chat.v1.proto");
  for (const wire_format f : {wire_format::json, wire_format::protobuf}) {
    EXPECT_EQ(negotiate_subprotocol(subprotocol_name(f)), f);
  }
}

// ---- errors ----

TEST(Codec, NamesEveryErrorCode) {
  const std::vector<std::pair<errc, std::string>> rows = {
      {errc::malformed_frame, "MALFORMED_FRAME"},
      {errc::invalid_frame, "INVALID_FRAME"},
      {errc::unknown_frame, "UNKNOWN_FRAME"},
      {errc::recipient_offline, "RECIPIENT_OFFLINE"},
      {errc::invalid_recipient, "INVALID_RECIPIENT"},
      {errc::message_too_large, "MESSAGE_TOO_LARGE"},
      {errc::unauthenticated, "UNAUTHENTICATED"},
      {errc::unavailable, "UNAVAILABLE"},
      {errc::rejected, "REJECTED"},
      {errc::inbox_full, "INBOX_FULL"},
      {errc::rate_limited, "RATE_LIMITED"},
  };
  // Every protocol code but CODE_UNSPECIFIED has a row: a new code needs one.
  const pb::EnumDescriptor* codes = v1::Error::Code_descriptor();
  ASSERT_EQ(static_cast<std::size_t>(codes->value_count()), rows.size() + 1);
  const std::string fallback = error_category().message(99);
  std::set<std::string> messages;
  for (const auto& [e, name] : rows) {
    SCOPED_TRACE(name);
    EXPECT_EQ(to_code_string(e), name);
    const std::error_code ec = e;  // is_error_code_enum
    EXPECT_EQ(&ec.category(), &error_category());
    EXPECT_EQ(ec.value(), static_cast<int>(e));
    const std::string text = ec.message();
    EXPECT_EQ(text, error_category().message(static_cast<int>(e)));
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_NE(text, fallback);
    messages.insert(text);
  }
  EXPECT_EQ(messages.size(), rows.size()) << "messages are not distinct";
  EXPECT_STREQ(error_category().name(), "chat");
  EXPECT_STREQ(to_code_string(static_cast<errc>(99)), "CODE_UNSPECIFIED");
}

// ---- envelope ----

v1::ServerFrame message_frame() { return server_samples()[2]; }

TEST(Envelope, EncodedMatchesEncode) {
  const envelope env(message_frame());
  for (const wire_format f : {wire_format::json, wire_format::protobuf}) {
    EXPECT_EQ(env.encoded(f), encode(message_frame(), f));
  }
  EXPECT_EQ(env.message().message_id(), "m1");
}

TEST(Envelope, EncodesOnceAndSharesTheString) {
  const envelope env(message_frame());
  const std::string* first = &env.encoded(wire_format::json);
  EXPECT_EQ(&env.encoded(wire_format::json), first);
  EXPECT_NE(&env.encoded(wire_format::protobuf), first);
  EXPECT_EQ(&env.encoded(wire_format::protobuf),
            &env.encoded(wire_format::protobuf));
}

TEST(Envelope, ConcurrentEncodedReturnsOneString) {
  constexpr int threads = 8;
  for (int round = 0; round < 20; ++round) {
    const envelope env(message_frame());
    std::vector<const std::string*> seen(threads);
    std::vector<std::string> copies(threads);
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        start.arrive_and_wait();
        const std::string& s = env.encoded(wire_format::json);
        seen[t] = &s;
        copies[t] = s;
      });
    }
    for (auto& th : pool) th.join();
    const std::string want = encode(message_frame(), wire_format::json);
    for (int t = 0; t < threads; ++t) {
      EXPECT_EQ(seen[t], seen[0]);
      EXPECT_EQ(copies[t], want);
    }
  }
}

}  // namespace
}  // namespace chat

namespace {

TEST(Codec, NullFrameValueIsUnknownFrame) {
  chat::v1::ClientFrame c;
  const auto err = chat::decode(R"({"ping":null})", chat::wire_format::json, c);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, chat::errc::unknown_frame);
  chat::v1::ServerFrame s;
  const auto serr =
      chat::decode(R"({"welcome":null})", chat::wire_format::json, s);
  ASSERT_TRUE(serr);
  EXPECT_EQ(serr->code, chat::errc::unknown_frame);
}

}  // namespace

namespace {

// UTF-8 validation takes ASCII eight bytes at a time: a bad sequence is
// found at every offset around those eight-byte steps, and good ones pass.
TEST(Utf8, BadSequencesAreFoundAtEveryOffsetAndGoodOnesPass) {
  const char* bad[] = {"\x80",
                       "\xC0\xAF",
                       "\xC3",
                       "\xE2\x82",
                       "\xED\xA0\x80",
                       "\xF4\x90\x80\x80",
                       "\xF8\x88\x80\x80\x80",
                       "\xFF"};
  const char* good[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                        "\xEF\xBF\xBD"};
  for (std::size_t pad = 0; pad <= 17; ++pad) {
    const std::string before(pad, 'a');
    const std::string after(17 - pad, 'b');
    for (const char* b : bad) {
      EXPECT_FALSE(chat::detail::valid_utf8(before + b + after))
          << "pad " << pad << " seq " << b;
    }
    for (const char* g : good) {
      EXPECT_TRUE(chat::detail::valid_utf8(before + g + after))
          << "pad " << pad << " seq " << g;
    }
    EXPECT_TRUE(chat::detail::valid_utf8(before + after));
  }
}

}  // namespace
