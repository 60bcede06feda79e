// SigV4 with OpenSSL's SHA-256 and HMAC; see
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
#include "aws/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

namespace chat::detail {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return out;
}

// Trims the ends and folds inner runs of spaces, as the spec asks.
std::string trim_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                            c == '.' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return to_hex(md, sizeof md);
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

sigv4_result sigv4_sign(const sigv4_request& req, const aws_credentials& creds,
                        std::string_view region, std::string_view service,
                        std::chrono::system_clock::time_point t) {
  sigv4_result r;
  r.amz_date = amz_date(t);
  r.security_token = creds.session_token;
  const std::string date = r.amz_date.substr(0, 8);

  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("host", trim_value(req.host));
  headers.emplace_back("x-amz-date", r.amz_date);
  if (!creds.session_token.empty())
    headers.emplace_back("x-amz-security-token", creds.session_token);
  for (const auto& [name, value] : req.headers)
    headers.emplace_back(lower(name), trim_value(value));
  std::sort(headers.begin(), headers.end());
  std::string canonical_headers, signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    // Repeated names are joined with commas into one line.
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();
      canonical_headers += "," + headers[i].second + "\n";
      continue;
    }
    canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += headers[i].first;
  }

  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : req.query)
    query.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query.push_back('&');
    canonical_query += k + "=" + v;
  }

  // Every service but S3 encodes the (already encoded) path once more.
  r.canonical_request = req.method + "\n" + uri_encode(req.path, true) + "\n" +
                        canonical_query + "\n" + canonical_headers + "\n" +
                        signed_headers + "\n" + sha256_hex(req.payload);
  const std::string scope = date + "/" + std::string(region) + "/" +
                            std::string(service) + "/aws4_request";
  r.string_to_sign = "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope + "\n" +
                     sha256_hex(r.canonical_request);
  std::string key = hmac("AWS4" + creds.secret_access_key, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  const std::string sig = hmac(key, r.string_to_sign);
  r.signature =
      to_hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
  r.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" +
                    scope + ", SignedHeaders=" + signed_headers +
                    ", Signature=" + r.signature;
  return r;
}

}  // namespace chat::detail
