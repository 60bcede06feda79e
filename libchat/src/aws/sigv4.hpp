// detail::sigv4: AWS Signature Version 4, as a pure function.
//
// No I/O and no clock: the caller passes the time and the credentials, so the
// published test vectors and botocore's signer can check it byte for byte.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chat::detail {

/// A key pair, and the session token that comes with temporary credentials.
struct aws_credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< Empty for long-term keys.
  /// When temporary credentials stop working; max() for long-term keys.
  std::chrono::system_clock::time_point expiration =
      std::chrono::system_clock::time_point::max();
};

/// One HTTP request as SigV4 sees it. `path` is the path exactly as sent on
/// the wire (already percent-encoded); `query` holds raw (not encoded) pairs.
struct sigv4_request {
  std::string method;
  std::string host;  ///< Host header value, with ":port" when not default.
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> query;
  /// Headers to sign besides host, x-amz-date and x-amz-security-token.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
};

/// What signing adds to the request: the headers to set, and the
/// intermediate strings (for tests and debug logs).
struct sigv4_result {
  std::string amz_date;        ///< X-Amz-Date, e.g. 20150830T123600Z.
  std::string authorization;   ///< Authorization header value.
  std::string security_token;  ///< X-Amz-Security-Token, or empty.
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

/// Percent-encodes `s` the way SigV4 wants: everything but A-Z a-z 0-9 - _ .
/// ~ (and '/' when `keep_slash`) becomes %XX with upper-case hex.
std::string uri_encode(std::string_view s, bool keep_slash);

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// "20150830T123600Z" for `t`, in UTC.
std::string amz_date(std::chrono::system_clock::time_point t);

/// Signs `req` for `region` and `service` at time `t`.
sigv4_result sigv4_sign(const sigv4_request& req, const aws_credentials& creds,
                        std::string_view region, std::string_view service,
                        std::chrono::system_clock::time_point t);

}  // namespace chat::detail
