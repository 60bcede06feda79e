// chat/jwt.hpp: JSON Web Token authentication (RFC 7519) as an authenticate
// hook, for `chatd --auth jwt` and embedders.
//
// Keys are pinned by configuration, one algorithm each: an HS256 secret, an
// RSA public key (RS256) or a P-256 public key (ES256). A token's header only
// names the algorithm, and that must be one with a configured key: `none`,
// HS256 signed with a public key's bytes, and keys in the header (jwk, jku,
// x5u, kid) are never accepted or looked at.
#pragma once

#include <chat/hooks.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace chat {

struct jwt_options {
  /// HS256 shared secret, at least 32 bytes; empty: HS256 tokens refused.
  std::string hs256_secret;
  /// A PEM public key (SubjectPublicKeyInfo): RSA of 2048 bits or more
  /// pins RS256, EC P-256 pins ES256; empty: neither accepted.
  std::string public_key_pem;
  /// When set, `iss` must equal it.
  std::string issuer;
  /// When set, `aud` (a string, or an array of them) must contain it.
  std::string audience;
  /// Clock skew allowed on `exp` and `nbf`; at most 60 s.
  std::chrono::seconds leeway{0};
  /// Longer tokens are refused before they are decoded.
  std::size_t max_token_bytes = 8 * 1024;
};

/// An authenticate hook that takes the handshake's token (`Authorization:
/// Bearer`, `?token=` or hello.token), checks it, and accepts the
/// connection as its `sub`, expiring at `exp` + leeway. A refusal is 401
/// with a short reason ("token expired", "bad signature", ...). The claimed
/// user name (`?user=`) is ignored. On bad options returns an empty
/// function and says why in `error`.
///
/// Thread safety: the hook may be called from any number of threads.
std::function<auth_result(const handshake&)> make_jwt_authenticator(
    const jwt_options& options, std::string& error);

}  // namespace chat
