// detail::jwt_validator: checks one compact JWS token against pinned keys
// and the configured claims. No I/O and no clock of its own (the caller
// passes `now`), so it is unit-tested and fuzzed as it is.
#pragma once

#include <chat/jwt.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chat::detail {

/// Decodes unpadded base64url (RFC 4648 section 5) strictly: only the
/// alphabet, no padding, no whitespace, unused trailing bits zero. Nullopt
/// otherwise.
std::optional<std::string> base64url_decode(std::string_view in);

/// What a token stands for, or why it was refused (`error` non-empty).
struct jwt_claims {
  std::string user;                                  ///< `sub`
  std::chrono::system_clock::time_point expires_at;  ///< `exp` + leeway
  std::string error;
};

/// Thread safety: immutable after make(); validate() may run concurrently.
class jwt_validator {
 public:
  /// Loads the keys; null with `error` set when an option is invalid.
  static std::unique_ptr<jwt_validator> make(const jwt_options& options,
                                             std::string& error);
  ~jwt_validator();
  jwt_validator(const jwt_validator&) = delete;
  jwt_validator& operator=(const jwt_validator&) = delete;

  jwt_claims validate(std::string_view token,
                      std::chrono::system_clock::time_point now) const;

 private:
  struct keys;
  explicit jwt_validator(const jwt_options& options);

  jwt_options opts_;
  std::unique_ptr<keys> keys_;
};

}  // namespace chat::detail
