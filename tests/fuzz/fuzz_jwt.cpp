// The JWT validator on any token, with every algorithm's key configured;
// and strict base64url: what it accepts re-encodes to the same text.
#include "auth/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <cstdlib>

namespace {

std::string ec_public_pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  std::string pem(p, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

const chat::detail::jwt_validator& validator() {
  static const auto v = [] {
    chat::jwt_options o;
    o.hs256_secret = "fuzz-secret-fuzz-secret-fuzz-secret!";
    o.public_key_pem = ec_public_pem();
    o.issuer = "iss";
    o.audience = "aud";
    o.leeway = std::chrono::seconds(30);
    std::string error;
    auto made = chat::detail::jwt_validator::make(o, error);
    if (!made) std::abort();
    return made;
  }();
  return *v;
}

std::string encode(std::string_view in) {
  static constexpr char a[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) out.push_back(a[(acc >> (bits -= 6)) & 63]);
  }
  if (bits > 0) out.push_back(a[(acc << (6 - bits)) & 63]);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto c =
      validator().validate(token, std::chrono::system_clock::time_point(
                                      std::chrono::seconds(1'700'000'000)));
  // Nothing here is signed by the fuzzer's keys... except by luck of the
  // HMAC secret, which the corpus does not hold: acceptance is a bug.
  if (c.error.empty()) std::abort();
  if (const auto raw = chat::detail::base64url_decode(token)) {
    if (encode(*raw) != token) std::abort();
  }
  return 0;
}
