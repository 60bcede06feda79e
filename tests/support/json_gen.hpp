// test::json_gen: random protocol frames for the codec's differential tests.
//
// `frame()` writes JSON text shaped like the protocol's frames, mostly
// well formed, with a share of everything a parser can trip on: escapes,
// surrogates, bad UTF-8, duplicate and unknown fields, wrong types, numbers
// as strings, odd timestamps and base64, and random byte mutations.
// `server_message()` and `client_message()` make in-memory frames with
// strings from every Unicode plane, timestamps in and out of range and enum
// values with and without names, for the encoders.
#pragma once

#include <chat/v1/chat.pb.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace chat::test {

/// Thread safety: none. Deterministic for a given side and seed.
class json_gen {
 public:
  enum side { client, server };

  json_gen(side s, unsigned seed) : side_(s), rng_(seed) {}

  /// A JSON frame as a client (or server) might send it.
  std::string frame();

  v1::ServerFrame server_message();
  v1::ClientFrame client_message();

  /// Appends code point `cp` as UTF-8 (surrogates too, which makes bad
  /// UTF-8).
  static void append_utf8(std::string& out, std::uint32_t cp);

  /// Appends `cp` as a JSON \u escape, a surrogate pair above the BMP.
  static void append_escape(std::string& out, std::uint32_t cp);

  enum class kind { string, bytes, boolean, timestamp, status, code, uint };

 private:
  bool chance(double p) {
    return std::uniform_real_distribution<>(0, 1)(rng_) < p;
  }
  std::uint32_t below(std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_);
  }
  template <class T, std::size_t N>
  const T& pick(const T (&a)[N]) {
    return a[below(N)];
  }

  void ws(std::string& out);
  void object_value(std::string& out, std::string_view frame);
  void value(std::string& out, kind k);
  void any_value(std::string& out, int depth);
  void string_value(std::string& out);
  void bytes_value(std::string& out);
  void timestamp_value(std::string& out);
  void mutate(std::string& out);

  std::uint32_t code_point();
  std::string text();
  void fill_timestamp(google::protobuf::Timestamp& ts);

  side side_;
  std::mt19937 rng_;
};

}  // namespace chat::test
