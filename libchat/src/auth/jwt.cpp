#include "auth/jwt.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace chat::detail {
namespace {

using sys_clock = std::chrono::system_clock;

struct pkey_free {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

// The value of each base64url character plus one; 0 for any other byte.
constexpr std::array<std::uint8_t, 256> b64url_table = [] {
  std::array<std::uint8_t, 256> t{};
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    t[static_cast<unsigned char>(alphabet[i])] =
        static_cast<std::uint8_t>(i + 1);
  return t;
}();

// One of the claims as seconds since the epoch; nullopt when absent or not
// a finite number.
std::optional<double> numeric_date(const boost::json::object& o,
                                   std::string_view key, bool& bad) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double() && std::isfinite(v->get_double())) return v->get_double();
  bad = true;
  return std::nullopt;
}

bool has_audience(const boost::json::value* aud, std::string_view want) {
  if (!aud) return false;
  if (aud->is_string()) return aud->get_string() == want;
  if (!aud->is_array()) return false;
  for (const auto& a : aud->get_array())
    if (a.is_string() && a.get_string() == want) return true;
  return false;
}

// A JWT part: base64url of a JSON object. Null when it is anything else.
std::optional<boost::json::object> json_part(std::string_view b64) {
  const auto text = base64url_decode(b64);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// ES256 signatures are r || s (32 bytes each); OpenSSL verifies DER.
std::string es256_to_der(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  std::string der;
  if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* out = nullptr;
    const int n = i2d_ECDSA_SIG(sig, &out);
    if (n > 0)
      der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return der;
}

bool verify_with(EVP_PKEY* key, std::string_view data, std::string_view sig) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (!md) return false;
  const bool ok =
      EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()),
                       sig.size(),
                       reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

// The registered claims (RFC 7519 section 4.1) a token is accepted on.
jwt_claims check_claims(const boost::json::object& p, const jwt_options& o,
                        sys_clock::time_point now) {
  jwt_claims c;
  const auto* sub = p.if_contains("sub");
  bool bad = false;
  const auto exp = numeric_date(p, "exp", bad);
  const auto nbf = numeric_date(p, "nbf", bad);
  const double t =
      std::chrono::duration<double>(now.time_since_epoch()).count();
  const auto leeway = static_cast<double>(o.leeway.count());
  if (!sub || !sub->is_string() || sub->get_string().empty() || !exp || bad) {
    c.error = "token needs sub and exp";
  } else if (t >= *exp + leeway) {
    c.error = "token expired";
  } else if (nbf && t + leeway < *nbf) {
    c.error = "token not yet valid";
  } else if (!o.issuer.empty() &&
             !(p.contains("iss") && p.at("iss") == o.issuer.c_str())) {
    c.error = "wrong issuer";
  } else if (!o.audience.empty() &&
             !has_audience(p.if_contains("aud"), o.audience)) {
    c.error = "wrong audience";
  } else {
    c.user = sub->get_string();
    c.expires_at = auth_result::at_epoch_seconds(*exp + leeway);
  }
  return c;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    const std::uint8_t v = b64url_table[static_cast<unsigned char>(c)];
    if (v == 0) return std::nullopt;
    acc = (acc << 6) | (v - 1u);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // The bits left over must be zero, so that each byte string has exactly
  // one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

struct jwt_validator::keys {
  pkey_ptr rs256;
  pkey_ptr es256;
};

jwt_validator::jwt_validator(const jwt_options& options)
    : opts_(options), keys_(std::make_unique<keys>()) {}
jwt_validator::~jwt_validator() = default;

std::unique_ptr<jwt_validator> jwt_validator::make(const jwt_options& options,
                                                   std::string& error) {
  std::unique_ptr<jwt_validator> v(new jwt_validator(options));
  if (options.leeway < std::chrono::seconds(0) ||
      options.leeway > std::chrono::seconds(60)) {
    error = "jwt leeway must be from 0 to 60 s";
    return nullptr;
  }
  if (!options.hs256_secret.empty()) {
    if (options.hs256_secret.size() < 32) {
      error = "jwt HS256 secret must be at least 32 bytes";
      return nullptr;
    }
    // A PEM here is the HS/RS confusion waiting to happen.
    if (options.hs256_secret.find("-----BEGIN") != std::string::npos) {
      error = "jwt HS256 secret must not be a PEM key";
      return nullptr;
    }
  }
  if (!options.public_key_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.public_key_pem.data(),
                               static_cast<int>(options.public_key_pem.size()));
    pkey_ptr key(bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr)
                     : nullptr);
    BIO_free(bio);
    if (!key) {
      error = "jwt public key: not a PEM public key";
      return nullptr;
    }
    char group[32] = {};
    if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA) {
      if (EVP_PKEY_get_bits(key.get()) < 2048) {
        error = "jwt public key: RSA keys must have 2048 bits or more";
        return nullptr;
      }
      v->keys_->rs256 = std::move(key);
    } else if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC &&
               EVP_PKEY_get_utf8_string_param(key.get(),
                                              OSSL_PKEY_PARAM_GROUP_NAME, group,
                                              sizeof group, nullptr) == 1 &&
               std::string_view(group) == "prime256v1") {
      v->keys_->es256 = std::move(key);
    } else {
      error = "jwt public key: expected RSA (RS256) or EC P-256 (ES256)";
      return nullptr;
    }
  }
  if (options.hs256_secret.empty() && !v->keys_->rs256 && !v->keys_->es256) {
    error = "jwt needs a key: an HS256 secret or a public key";
    return nullptr;
  }
  return v;
}

jwt_claims jwt_validator::validate(std::string_view token,
                                   sys_clock::time_point now) const {
  jwt_claims c;
  const auto refuse = [&c](std::string why) {
    c.error = std::move(why);
    return c;
  };
  if (token.empty()) return refuse("missing token");
  if (token.size() > opts_.max_token_bytes) return refuse("token too long");
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 == token.npos ? dot1 : dot1 + 1);
  if (dot1 == token.npos || dot2 == token.npos ||
      token.find('.', dot2 + 1) != token.npos) {
    return refuse("malformed token");
  }
  const auto header = json_part(token.substr(0, dot1));
  const auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!header || !sig) return refuse("malformed token");

  // The header names the algorithm and nothing else is taken from it: the
  // key is the one configured for that algorithm.
  const auto* alg = header->if_contains("alg");
  if (!alg || !alg->is_string()) return refuse("malformed token");
  if (header->contains("crit")) return refuse("unsupported token header");
  const std::string_view signed_part = token.substr(0, dot2);
  bool good = false;
  if (*alg == "HS256" && !opts_.hs256_secret.empty()) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    good = HMAC(EVP_sha256(), opts_.hs256_secret.data(),
                static_cast<int>(opts_.hs256_secret.size()),
                reinterpret_cast<const unsigned char*>(signed_part.data()),
                signed_part.size(), mac, &len) != nullptr &&
           sig->size() == len && CRYPTO_memcmp(mac, sig->data(), len) == 0;
  } else if (*alg == "RS256" && keys_->rs256) {
    good = verify_with(keys_->rs256.get(), signed_part, *sig);
  } else if (*alg == "ES256" && keys_->es256) {
    good = sig->size() == 64 &&
           verify_with(keys_->es256.get(), signed_part, es256_to_der(*sig));
  } else {
    return refuse("algorithm not allowed");
  }
  if (!good) return refuse("bad signature");
  // Only a signed payload is parsed.
  const auto payload = json_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return refuse("malformed token");
  return check_claims(*payload, opts_, now);
}

}  // namespace chat::detail

namespace chat {

std::function<auth_result(const handshake&)> make_jwt_authenticator(
    const jwt_options& options, std::string& error) {
  std::shared_ptr<const detail::jwt_validator> v =
      detail::jwt_validator::make(options, error);
  if (!v) return {};
  return [v](const handshake& h) {
    detail::jwt_claims c =
        v->validate(h.token, std::chrono::system_clock::now());
    if (!c.error.empty()) return auth_result::refuse(401, std::move(c.error));
    return auth_result::accept(std::move(c.user), c.expires_at);
  };
}

}  // namespace chat
