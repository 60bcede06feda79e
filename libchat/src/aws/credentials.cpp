#include "aws/credentials.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <ctime>

namespace chat::detail {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// "2026-11-27T22:00:00Z" (fractional seconds ignored) to a time point.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(
    std::string_view s) {
  std::tm tm{};
  if (s.size() < 19 ||
      std::sscanf(std::string(s.substr(0, 19)).c_str(),
                  "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::optional<aws_credentials> credentials_from_env() {
  aws_credentials c;
  c.access_key_id = env("AWS_ACCESS_KEY_ID");
  c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  c.session_token = env("AWS_SESSION_TOKEN");
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return std::nullopt;
  return c;
}

std::optional<ecs_endpoint> ecs_endpoint_from_env() {
  ecs_endpoint e;
  const std::string relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const std::string full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string url;
  if (!relative.empty()) {
    url = "http://169.254.170.2" + relative;
  } else if (!full.empty()) {
    url = full;
  } else {
    return std::nullopt;
  }
  // parse_aws_url refuses a query; split it off and keep it in the target.
  const auto q = url.find('?');
  auto parsed = parse_aws_url(url.substr(0, q));
  if (!parsed) return std::nullopt;
  e.url = std::move(*parsed);
  const auto scheme_end = url.find("://") + 3;
  const auto path_start = url.find('/', scheme_end);
  e.target = path_start == std::string::npos ? "/" : url.substr(path_start);
  e.authorization = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return e;
}

std::optional<aws_credentials> parse_ecs_credentials(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto str = [&](const char* key) -> std::string {
    const auto* p = o.if_contains(key);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  aws_credentials c;
  c.access_key_id = str("AccessKeyId");
  c.secret_access_key = str("SecretAccessKey");
  c.session_token = str("Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return std::nullopt;
  if (const std::string exp = str("Expiration"); !exp.empty()) {
    const auto t = parse_iso8601(exp);
    if (!t) return std::nullopt;
    c.expiration = *t;
  }
  return c;
}

std::string signing_region(const aws_url& callback) {
  std::string r = execute_api_region(callback.host);
  if (r.empty()) r = env("AWS_REGION");
  if (r.empty()) r = env("AWS_DEFAULT_REGION");
  if (r.empty()) r = "us-east-1";
  return r;
}

}  // namespace chat::detail
