#include "aws/endpoint.hpp"

#include "aws/sigv4.hpp"

namespace chat::detail {

std::string aws_url::host_header() const {
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? host : host + ":" + port;
}

std::optional<aws_url> parse_aws_url(std::string_view url) {
  aws_url out;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = url.substr(0, sep);
  if (scheme == "https" || scheme == "wss") {
    out.tls = true;
  } else if (scheme == "http" || scheme == "ws") {
    out.tls = false;
  } else {
    return std::nullopt;
  }
  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return std::nullopt;
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos &&
      authority.find(']', colon) == std::string_view::npos) {
    out.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
    if (out.port.empty() || out.port.size() > 5 ||
        out.port.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
  } else {
    out.port = out.tls ? "443" : "80";
  }
  if (authority.size() > 2 && authority.front() == '[')
    authority = authority.substr(1, authority.size() - 2);
  if (authority.empty()) return std::nullopt;
  out.host = authority;
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.ends_with("/@connections")) path.remove_suffix(13);
  while (path.ends_with('/')) path.remove_suffix(1);
  out.path = path;
  return out;
}

std::string connections_target(const aws_url& base, std::string_view id) {
  return base.path + "/@connections/" + uri_encode(id, false);
}

std::string execute_api_region(std::string_view host) {
  constexpr std::string_view marker = ".execute-api.";
  const auto at = host.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = host.substr(at + marker.size());
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  const std::string_view tail = rest.substr(dot);
  if (tail != ".amazonaws.com" && tail != ".amazonaws.com.cn") return {};
  return std::string(rest.substr(0, dot));
}

}  // namespace chat::detail
