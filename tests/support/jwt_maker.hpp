// tests/support/jwt_maker.hpp: keys made by OpenSSL at test time and JWTs
// signed with them, good and bad, for the validator and auth tests.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chat::test {

inline std::string b64url(std::string_view in) {
  static constexpr char a[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(a[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
  } else if (i + 2 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(a[(v >> 18) & 63]);
    out.push_back(a[(v >> 12) & 63]);
    out.push_back(a[(v >> 6) & 63]);
  }
  return out;
}

/// A key pair made now: "RSA" (2048 bits) or "EC" (P-256).
class test_key {
 public:
  explicit test_key(const char* type)
      : key_(std::string_view(type) == "RSA"
                 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {
    if (!key_) throw std::runtime_error("key generation failed");
  }

  /// SubjectPublicKeyInfo PEM, as --jwt-public-key takes it.
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return pem;
  }

  /// SHA-256 signature: PKCS#1 v1.5 for RSA, raw r || s for EC (JWS).
  std::string sign(std::string_view data) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    std::size_t n = 0;
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key_.get());
    const auto* in = reinterpret_cast<const unsigned char*>(data.data());
    EVP_DigestSign(md, nullptr, &n, in, data.size());
    std::string sig(n, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &n, in,
                   data.size());
    EVP_MD_CTX_free(md);
    sig.resize(n);
    if (EVP_PKEY_get_base_id(key_.get()) != EVP_PKEY_EC) return sig;
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(es), out, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), out + 32, 32);
    ECDSA_SIG_free(es);
    return raw;
  }

 private:
  struct pkey_free {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
  };
  std::unique_ptr<EVP_PKEY, pkey_free> key_;
};

inline std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &n);
  return std::string(reinterpret_cast<char*>(mac), n);
}

/// header.payload, base64url'd, ready for a signature.
inline std::string signing_input(std::string_view header_json,
                                 std::string_view payload_json) {
  return b64url(header_json) + "." + b64url(payload_json);
}

inline std::string hs256_token(std::string_view secret,
                               std::string_view payload_json) {
  const auto in = signing_input(R"({"alg":"HS256","typ":"JWT"})", payload_json);
  return in + "." + b64url(hmac_sha256(secret, in));
}

/// RS256 or ES256 by the key's type.
inline std::string signed_token(const test_key& key, const char* alg,
                                std::string_view payload_json) {
  const auto in = signing_input(
      std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})", payload_json);
  return in + "." + b64url(key.sign(in));
}

/// Seconds since the epoch, `offset` from now.
inline long long epoch_in(std::chrono::seconds offset) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             (std::chrono::system_clock::now() + offset).time_since_epoch())
      .count();
}

/// {"sub":SUB,"exp":now+EXP_IN} plus `extra` members ("\"aud\":\"x\"").
inline std::string claims(std::string_view sub, std::chrono::seconds exp_in,
                          std::string_view extra = {}) {
  std::string p = R"({"sub":")" + std::string(sub) + R"(","exp":)" +
                  std::to_string(epoch_in(exp_in));
  if (!extra.empty()) p.append(",").append(extra);
  return p + "}";
}

}  // namespace chat::test
