// What does authenticating a handshake cost with --auth jwt: one token
// checked per connection, for each pinned algorithm (keys made at start).
#include "auth/jwt.hpp"
#include "support/jwt_maker.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace std::chrono_literals;
using chat::test::claims;

const std::string secret = "bench-secret-of-at-least-32-bytes-long";

void run(benchmark::State& state, const chat::jwt_options& o,
         const std::string& token) {
  std::string error;
  const auto v = chat::detail::jwt_validator::make(o, error);
  const auto now = std::chrono::system_clock::now();
  // Make sure the data is right: the token is accepted.
  if (!v || v->validate(token, now).user != "alice") {
    state.SkipWithError("token not accepted");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(v->validate(token, now));
  state.SetItemsProcessed(state.iterations());
}

void BM_JwtValidateHs256(benchmark::State& state) {
  chat::jwt_options o;
  o.hs256_secret = secret;
  run(state, o, chat::test::hs256_token(secret, claims("alice", 3600s)));
}
BENCHMARK(BM_JwtValidateHs256);

// A public-key algorithm: `type` is "RSA" or "EC".
void run_signed(benchmark::State& state, const char* type, const char* alg) {
  const chat::test::test_key key(type);
  chat::jwt_options o;
  o.public_key_pem = key.public_pem();
  run(state, o, chat::test::signed_token(key, alg, claims("alice", 3600s)));
}

void BM_JwtValidateRs256(benchmark::State& state) {
  run_signed(state, "RSA", "RS256");
}
BENCHMARK(BM_JwtValidateRs256);

void BM_JwtValidateEs256(benchmark::State& state) {
  run_signed(state, "EC", "ES256");
}
BENCHMARK(BM_JwtValidateEs256);

}  // namespace
