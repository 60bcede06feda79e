// Unit tests of varint-delimited framing: our writer and reader against each
// other, against input split anywhere, and against protobuf's own
// delimited-message functions.
#include <chat/framing.hpp>
#include <chat/v1/chat.pb.h>

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

// The largest single allocation made on this thread while tracking is on:
// the reader's buffer is private, so its growth is observed here. Every
// non-aligned form is replaced so that news and deletes stay paired (ASan).
namespace {
thread_local bool track_allocations = false;
thread_local std::size_t largest_allocation = 0;

void* tracked_malloc(std::size_t n) noexcept {
  if (track_allocations && n > largest_allocation) largest_allocation = n;
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = tracked_malloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return tracked_malloc(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return tracked_malloc(n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace chat {
namespace {

using status = delimited_reader::status;
constexpr std::size_t limit = 128 * 1024;

std::string payload(std::size_t n, unsigned seed = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>((i * 31 + seed * 7) & 0xff);
  }
  return s;
}

// Every frame the reader yields until it needs more; fails on an error.
std::vector<std::string> drain(delimited_reader& r) {
  std::vector<std::string> out;
  std::string_view frame;
  for (;;) {
    const status st = r.next(frame);
    if (st == status::need_more) return out;
    if (st != status::frame) {
      ADD_FAILURE() << "reader failed with status " << static_cast<int>(st);
      return out;
    }
    out.emplace_back(frame);
  }
}

// Feeds `wire` in chunks whose sizes `next_size` picks, draining after each.
template <class NextSize>
std::vector<std::string> read_split(std::string_view wire, NextSize next_size) {
  delimited_reader r(limit);
  std::vector<std::string> out;
  while (!wire.empty()) {
    const std::size_t n = std::min(wire.size(), next_size());
    r.feed(wire.substr(0, n));
    wire.remove_prefix(n);
    for (auto& f : drain(r)) out.push_back(std::move(f));
  }
  EXPECT_EQ(r.buffered(), 0u);
  return out;
}

TEST(Framing, RoundTripsFramesOfEverySize) {
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{127}, std::size_t{128},
        std::size_t{300}, std::size_t{16384}, limit}) {
    SCOPED_TRACE(n);
    const std::string body = payload(n);
    std::string wire;
    append_delimited(wire, body);
    delimited_reader r(limit);
    r.feed(wire);
    std::string_view frame;
    ASSERT_EQ(r.next(frame), status::frame);
    EXPECT_EQ(frame, body);
    EXPECT_EQ(r.next(frame), status::need_more);
    EXPECT_EQ(r.buffered(), 0u);
  }
}

TEST(Framing, WritesTheVarintPrefix) {
  const std::vector<std::pair<std::size_t, std::string>> rows = {
      {0, std::string(1, '\x00')}, {1, "\x01"},       {127, "\x7f"},
      {128, "\x80\x01"},           {300, "\xac\x02"}, {16384, "\x80\x80\x01"},
  };
  for (const auto& [n, prefix] : rows) {
    std::string wire = "keep";
    append_delimited(wire, payload(n));
    EXPECT_EQ(wire.substr(0, 4), "keep") << "append_delimited appends";
    EXPECT_EQ(wire.substr(4, prefix.size()), prefix) << n;
    EXPECT_EQ(wire.size(), 4 + prefix.size() + n);
  }
}

TEST(Framing, AcceptsAFrameOfExactlyTheLimit) {
  delimited_reader r(300);
  std::string wire;
  append_delimited(wire, payload(300));
  r.feed(wire);
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::frame);
  EXPECT_EQ(frame.size(), 300u);
}

std::vector<std::string> sample_frames() {
  return {payload(0),      payload(5, 1), payload(127, 2), payload(128, 3),
          payload(300, 4), payload(0, 5), payload(1, 6)};
}

std::string concat_delimited(const std::vector<std::string>& frames) {
  std::string wire;
  for (const auto& f : frames) append_delimited(wire, f);
  return wire;
}

TEST(Framing, ReadsInputSplitAtEveryByte) {
  const auto frames = sample_frames();
  const std::string wire = concat_delimited(frames);
  EXPECT_EQ(read_split(wire, [] { return std::size_t{1}; }), frames);
}

TEST(Framing, ReadsInputSplitAtEveryBoundaryInTwo) {
  const auto frames = sample_frames();
  const std::string wire = concat_delimited(frames);
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    SCOPED_TRACE(cut);
    delimited_reader r(limit);
    r.feed(std::string_view(wire).substr(0, cut));
    auto got = drain(r);
    r.feed(std::string_view(wire).substr(cut));
    for (auto& f : drain(r)) got.push_back(std::move(f));
    EXPECT_EQ(got, frames);
  }
}

TEST(Framing, ReadsInputInRandomChunks) {
  const auto frames = sample_frames();
  const std::string wire = concat_delimited(frames);
  std::mt19937 rng(20261127);
  std::uniform_int_distribution<std::size_t> size(1, 64);
  for (int round = 0; round < 50; ++round) {
    EXPECT_EQ(read_split(wire, [&] { return size(rng); }), frames);
  }
}

TEST(Framing, RejectsATooLargeClaimBeforeTheBody) {
  delimited_reader r(limit);
  // 0x80 0x80 0x80 0x80 0x10 is 2^32: 4 GiB, and no body follows.
  r.feed("\x80\x80\x80\x80\x10");
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::too_large);
  EXPECT_EQ(r.claimed(), std::uint64_t{1} << 32);
}

TEST(Framing, RejectsOneByteOverTheLimit) {
  delimited_reader r(300);
  std::string wire;
  append_delimited(wire, payload(301));
  r.feed(wire.substr(0, 2));  // the prefix only
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::too_large);
  EXPECT_EQ(r.claimed(), 301u);
}

TEST(Framing, RejectsAnElevenByteVarint) {
  delimited_reader r(limit);
  r.feed(std::string(10, '\x80') + "\x01");
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::bad_prefix);
}

TEST(Framing, DecodesATenByteVarint) {
  // Ten bytes is the longest valid varint; this one claims 2^63.
  delimited_reader r(limit);
  r.feed(std::string(9, '\x80') + "\x01");
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::too_large);
  EXPECT_EQ(r.claimed(), std::uint64_t{1} << 63);
}

TEST(Framing, NeedsMoreOnAPartialPrefix) {
  delimited_reader r(limit);
  std::string wire;
  append_delimited(wire, payload(300));
  r.feed(wire.substr(0, 1));  // 0xac: continuation bit set
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::need_more);
  r.feed(wire.substr(1));
  ASSERT_EQ(r.next(frame), status::frame);
  EXPECT_EQ(frame, payload(300));
}

TEST(Framing, NeedsMoreOnAPartialBody) {
  delimited_reader r(limit);
  std::string wire;
  append_delimited(wire, payload(300));
  r.feed(wire.substr(0, wire.size() - 1));
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::need_more);
  EXPECT_EQ(r.buffered(), wire.size() - 1);
  r.feed(wire.substr(wire.size() - 1));
  ASSERT_EQ(r.next(frame), status::frame);
  EXPECT_EQ(frame, payload(300));
}

TEST(Framing, NeedsMoreWhenEmpty) {
  delimited_reader r(limit);
  std::string_view frame;
  EXPECT_EQ(r.next(frame), status::need_more);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(Framing, BufferStaysBoundedOverManyFrames) {
  constexpr std::size_t frame_size = 1000;
  constexpr std::size_t chunk = 777;  // not a multiple: frames straddle
  constexpr int frames = 10'000;
  const std::string body = payload(frame_size);
  std::string one;
  append_delimited(one, body);
  std::string wire;
  for (int i = 0; i < frames; ++i) wire += one;

  delimited_reader r(limit);
  std::size_t got = 0;
  std::size_t peak_buffered = 0;
  largest_allocation = 0;
  std::string_view frame;
  for (std::size_t at = 0; at < wire.size(); at += chunk) {
    track_allocations = true;
    r.feed(std::string_view(wire).substr(at, chunk));
    peak_buffered = std::max(peak_buffered, r.buffered());
    status st;
    while ((st = r.next(frame)) == status::frame) {
      track_allocations = false;
      ASSERT_EQ(frame, body);
      ++got;
      track_allocations = true;
    }
    track_allocations = false;
    ASSERT_EQ(st, status::need_more);
  }
  EXPECT_EQ(got, static_cast<std::size_t>(frames));
  EXPECT_LT(peak_buffered, 2 * one.size() + chunk);
  // The buffer holds at most a consumed frame, a partial one and a chunk;
  // std::string may double that when it grows.
  EXPECT_LT(largest_allocation, 2 * (2 * one.size() + chunk) + 64)
      << "the reader's buffer grows with the stream";
}

// ---- compatibility with protobuf's delimited functions ----

std::vector<v1::ClientFrame> protobuf_samples() {
  std::vector<v1::ClientFrame> out(4);
  out[0].mutable_hello()->set_user("alice");
  out[1].mutable_send()->set_to("bob");
  out[1].mutable_send()->set_text(std::string(300, 'x'));
  out[2].mutable_ping();  // encodes to 2 bytes
  out[3].mutable_send()->set_to_connection("c1");
  out[3].mutable_send()->set_data(payload(20000));
  return out;
}

TEST(Framing, ReadsProtobufSerializeDelimited) {
  const auto frames = protobuf_samples();
  std::string wire;
  {
    google::protobuf::io::StringOutputStream os(&wire);
    for (const auto& f : frames) {
      ASSERT_TRUE(
          google::protobuf::util::SerializeDelimitedToZeroCopyStream(f, &os));
    }
  }
  delimited_reader r(limit);
  r.feed(wire);
  std::string_view bytes;
  for (const auto& want : frames) {
    ASSERT_EQ(r.next(bytes), status::frame);
    v1::ClientFrame got;
    ASSERT_TRUE(
        got.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
  }
  EXPECT_EQ(r.next(bytes), status::need_more);
}

TEST(Framing, WritesWhatProtobufParseDelimitedReads) {
  const auto frames = protobuf_samples();
  std::string wire;
  for (const auto& f : frames) append_delimited(wire, f.SerializeAsString());

  google::protobuf::io::ArrayInputStream is(wire.data(),
                                            static_cast<int>(wire.size()));
  for (const auto& want : frames) {
    v1::ClientFrame got;
    bool clean_eof = false;
    ASSERT_TRUE(google::protobuf::util::ParseDelimitedFromZeroCopyStream(
        &got, &is, &clean_eof));
    EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
  }
  v1::ClientFrame extra;
  bool clean_eof = false;
  EXPECT_FALSE(google::protobuf::util::ParseDelimitedFromZeroCopyStream(
      &extra, &is, &clean_eof));
  EXPECT_TRUE(clean_eof) << "our framing left trailing bytes";
}

}  // namespace
}  // namespace chat
