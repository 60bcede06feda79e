// Unit tests of the JWT validator, with keys and tokens made by the test.
#include "auth/jwt.hpp"

#include "support/jwt_maker.hpp"

#include <gtest/gtest.h>

namespace chat::test {
namespace {

using namespace std::chrono_literals;
using detail::jwt_validator;

const std::string secret = "0123456789abcdef0123456789abcdef-test";

const test_key& rsa() {
  static const test_key k("RSA");
  return k;
}
const test_key& ec() {
  static const test_key k("EC");
  return k;
}

std::unique_ptr<jwt_validator> make(jwt_options o) {
  std::string error;
  auto v = jwt_validator::make(o, error);
  EXPECT_TRUE(v) << error;
  return v;
}

std::string error_for(const jwt_validator& v, std::string_view token) {
  return v.validate(token, std::chrono::system_clock::now()).error;
}

jwt_options hs() {
  jwt_options o;
  o.hs256_secret = secret;
  return o;
}
jwt_options rs() {
  jwt_options o;
  o.public_key_pem = rsa().public_pem();
  return o;
}

TEST(Base64url, IsStrict) {
  EXPECT_EQ(detail::base64url_decode("aGk"), "hi");
  EXPECT_EQ(detail::base64url_decode(""), "");
  EXPECT_EQ(detail::base64url_decode("-_8"), "\xfb\xff");
  EXPECT_FALSE(detail::base64url_decode("aGk="));   // padding
  EXPECT_FALSE(detail::base64url_decode("aG k"));   // whitespace
  EXPECT_FALSE(detail::base64url_decode("+/8"));    // base64, not base64url
  EXPECT_FALSE(detail::base64url_decode("aGl"));    // non-zero spare bits
  EXPECT_FALSE(detail::base64url_decode("aGkha"));  // length % 4 == 1
}

TEST(Jwt, AcceptsEachPinnedAlgorithm) {
  const auto now = std::chrono::system_clock::now();
  auto c = make(hs())->validate(hs256_token(secret, claims("alice", 60s)), now);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.user, "alice");
  EXPECT_GT(c.expires_at, now + 50s);
  EXPECT_LT(c.expires_at, now + 70s);
  c = make(rs())->validate(signed_token(rsa(), "RS256", claims("bob", 60s)),
                           now);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.user, "bob");
  jwt_options eo;
  eo.public_key_pem = ec().public_pem();
  c = make(eo)->validate(signed_token(ec(), "ES256", claims("carol", 60s)),
                         now);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.user, "carol");
}

TEST(Jwt, RefusesAlgNone) {
  const auto v = make(hs());
  const auto none = signing_input(R"({"alg":"none"})", claims("eve", 60s));
  EXPECT_EQ(error_for(*v, none + "."), "algorithm not allowed");
  EXPECT_EQ(error_for(*v, none + ".AAAA"), "algorithm not allowed");
}

TEST(Jwt, RefusesHs256SignedWithThePublicKey) {
  // The classic confusion: the attacker knows the RSA public key and uses
  // its PEM bytes as an HMAC secret.
  const auto v = make(rs());
  EXPECT_EQ(error_for(*v, hs256_token(rsa().public_pem(), claims("eve", 60s))),
            "algorithm not allowed");
  // And a PEM can never be configured as the HMAC secret.
  jwt_options o = rs();
  o.hs256_secret = rsa().public_pem();
  std::string error;
  EXPECT_FALSE(jwt_validator::make(o, error));
  EXPECT_EQ(error, "jwt HS256 secret must not be a PEM key");
}

TEST(Jwt, RefusesAnAlgorithmWithoutItsKey) {
  EXPECT_EQ(
      error_for(*make(hs()), signed_token(rsa(), "RS256", claims("eve", 60s))),
      "algorithm not allowed");
  // ES256 claimed with the RSA key configured: no EC key, refused.
  EXPECT_EQ(
      error_for(*make(rs()), signed_token(ec(), "ES256", claims("eve", 60s))),
      "algorithm not allowed");
}

TEST(Jwt, RefusesBadSignatures) {
  const auto v = make(hs());
  EXPECT_EQ(error_for(*v, hs256_token("another-secret-of-32-bytes-or-more!!",
                                      claims("eve", 60s))),
            "bad signature");
  // A good signature over other claims.
  auto good = hs256_token(secret, claims("alice", 60s));
  auto forged =
      signing_input(R"({"alg":"HS256","typ":"JWT"})", claims("admin", 60s)) +
      good.substr(good.rfind('.'));
  EXPECT_EQ(error_for(*v, forged), "bad signature");
  EXPECT_EQ(error_for(*make(rs()),
                      signed_token(test_key("RSA"), "RS256", claims("e", 60s))),
            "bad signature");
}

TEST(Jwt, NeverTakesAKeyFromTheHeader) {
  // jwk/jku/x5u/kid name a key the attacker controls: ignored, so the
  // signature is checked against the pinned key and fails.
  const test_key attacker("RSA");
  const auto in = signing_input(
      R"({"alg":"RS256","kid":"../../dev/null","jku":"http://evil/","x5u":"http://evil/","jwk":{"kty":"RSA"}})",
      claims("eve", 60s));
  EXPECT_EQ(error_for(*make(rs()), in + "." + b64url(attacker.sign(in))),
            "bad signature");
}

TEST(Jwt, ChecksTimesWithLeeway) {
  auto o = hs();
  const auto strict = make(o);
  EXPECT_EQ(error_for(*strict, hs256_token(secret, claims("a", -5s))),
            "token expired");
  const auto nbf = R"("nbf":)" + std::to_string(epoch_in(5s));
  EXPECT_EQ(error_for(*strict, hs256_token(secret, claims("a", 60s, nbf))),
            "token not yet valid");
  o.leeway = 30s;
  const auto lenient = make(o);
  EXPECT_EQ(error_for(*lenient, hs256_token(secret, claims("a", -5s))), "");
  EXPECT_EQ(error_for(*lenient, hs256_token(secret, claims("a", 60s, nbf))),
            "");
  EXPECT_EQ(error_for(*lenient, hs256_token(secret, claims("a", -31s))),
            "token expired");
  o.leeway = 61s;
  std::string error;
  EXPECT_FALSE(jwt_validator::make(o, error));
}

TEST(Jwt, FarFutureExpiryIsClampedNotOverflowed) {
  const auto c =
      make(hs())->validate(hs256_token(secret, R"({"sub":"a","exp":1e300})"),
                           std::chrono::system_clock::now());
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.expires_at, auth_result::at_epoch_seconds(4102444800.0));
  EXPECT_EQ(auth_result::at_epoch_seconds(-5), auth_result::time_point{});
}

TEST(Jwt, ChecksIssuerAndAudienceWhenConfigured) {
  auto o = hs();
  o.issuer = "https://issuer.example";
  o.audience = "chat";
  const auto v = make(o);
  const auto iss = R"("iss":"https://issuer.example")";
  EXPECT_EQ(error_for(*v, hs256_token(secret, claims("a", 60s,
                                                     std::string(iss) +
                                                         R"(,"aud":"chat")"))),
            "");
  EXPECT_EQ(
      error_for(*v, hs256_token(secret, claims("a", 60s,
                                               std::string(iss) +
                                                   R"(,"aud":["x","chat"])"))),
      "");
  EXPECT_EQ(error_for(*v, hs256_token(
                              secret,
                              claims("a", 60s,
                                     R"("iss":"https://evil","aud":"chat")"))),
            "wrong issuer");
  EXPECT_EQ(error_for(*v, hs256_token(secret, claims("a", 60s,
                                                     std::string(iss) +
                                                         R"(,"aud":"chatx")"))),
            "wrong audience");
  EXPECT_EQ(error_for(*v, hs256_token(secret, claims("a", 60s, iss))),
            "wrong audience");
}

TEST(Jwt, RefusesMalformedTokens) {
  const auto v = make(hs());
  const auto good = hs256_token(secret, claims("alice", 60s));
  EXPECT_EQ(error_for(*v, ""), "missing token");
  EXPECT_EQ(error_for(*v, "a.b"), "malformed token");
  EXPECT_EQ(error_for(*v, good + ".x"), "malformed token");
  EXPECT_EQ(error_for(*v, good + "="), "malformed token");
  EXPECT_EQ(error_for(*v, " " + good), "malformed token");
  EXPECT_EQ(error_for(*v, hs256_token(secret, "[]")), "malformed token");
  EXPECT_EQ(error_for(*v, hs256_token(secret, R"({"sub":"a"})")),
            "token needs sub and exp");
  EXPECT_EQ(error_for(*v, hs256_token(secret, R"({"sub":"a","exp":"soon"})")),
            "token needs sub and exp");
  EXPECT_EQ(error_for(*v, std::string(9000, 'a')), "token too long");
  const auto crit =
      signing_input(R"({"alg":"HS256","crit":["x"]})", claims("a", 60s));
  EXPECT_EQ(error_for(*v, crit + "." + b64url(hmac_sha256(secret, crit))),
            "unsupported token header");
}

TEST(Jwt, RefusesBadOptions) {
  std::string error;
  EXPECT_FALSE(jwt_validator::make({}, error));
  EXPECT_EQ(error, "jwt needs a key: an HS256 secret or a public key");
  jwt_options o;
  o.hs256_secret = "short";
  EXPECT_FALSE(jwt_validator::make(o, error));
  EXPECT_EQ(error, "jwt HS256 secret must be at least 32 bytes");
  o = {};
  o.public_key_pem =
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_FALSE(jwt_validator::make(o, error));
  EXPECT_EQ(error, "jwt public key: not a PEM public key");
}

TEST(Jwt, AuthenticatorMapsAHandshakeToSubOr401) {
  std::string error;
  const auto hook = make_jwt_authenticator(hs(), error);
  ASSERT_TRUE(hook) << error;
  const auto token = hs256_token(secret, claims("alice", 60s));
  handshake h{"ws", "127.0.0.1:1", "/ws", "mallory", token, {}};
  auto r = hook(h);
  EXPECT_EQ(r.user, "alice");  // the claimed name is ignored
  EXPECT_LT(r.expires_at, auth_result::time_point::max());
  h.token = {};
  r = hook(h);
  EXPECT_EQ(r.user, "");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.reason, "missing token");
}

}  // namespace
}  // namespace chat::test
