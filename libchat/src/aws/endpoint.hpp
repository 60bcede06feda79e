// detail::aws_url: a parsed https/http/wss/ws URL, and the `@connections`
// base derived from an API Gateway stage URL. Pure; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chat::detail {

/// Where HTTP requests go: scheme, host, port and the path before them.
struct aws_url {
  bool tls = true;
  std::string host;
  std::string port;  ///< "443" or "80" when the URL names none.
  std::string path;  ///< No trailing '/': "/prod", or "" at the root.

  /// The Host header: the host, plus ":port" when it is not the default.
  std::string host_header() const;
};

/// Parses "https://host[:port][/path]" (or http://). wss:// and ws:// are
/// taken as https:// and http://, which is how the stage's WebSocket URL
/// maps to its callback URL. A trailing "/" or "/@connections" is dropped.
std::optional<aws_url> parse_aws_url(std::string_view url);

/// The request target of `@connections/{id}` under `base`: the id is
/// percent-encoded (ids end in '='), '@' is left as it is, as the AWS SDKs
/// send it.
std::string connections_target(const aws_url& base, std::string_view id);

/// The region in "{id}.execute-api.{region}.amazonaws.com[.cn]", or empty.
std::string execute_api_region(std::string_view host);

}  // namespace chat::detail
