#include "aws/xray.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cstdlib>
#include <random>

#include "transport/transport.hpp"

namespace chat::detail {
namespace {

namespace net = boost::asio;

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(digits, '0');
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = rng();
    out[i] = hex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

bool is_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

double seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

thread_local const trace_context* current = nullptr;

}  // namespace

const trace_context* current_trace() noexcept { return current; }

trace_scope::trace_scope(const trace_context* t) noexcept : prev_(current) {
  current = t;
}

trace_scope::~trace_scope() { current = prev_; }

std::optional<trace_context> parse_trace_header(std::string_view header) {
  trace_context t;
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{}
                                            : header.substr(semi + 1);
    while (part.starts_with(' ')) part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = part.substr(0, eq),
                           value = part.substr(eq + 1);
    if (key == "Root") t.trace_id = value;
    if (key == "Parent") t.parent_id = value;
    if (key == "Sampled") t.sampled = value != "0";
  }
  // 1-{8 hex}-{24 hex}
  const std::string_view r = t.trace_id;
  if (r.size() != 35 || !r.starts_with("1-") || r[10] != '-' ||
      !is_hex(r.substr(2, 8)) || !is_hex(r.substr(11))) {
    return std::nullopt;
  }
  if (!t.parent_id.empty() &&
      (t.parent_id.size() != 16 || !is_hex(t.parent_id)))
    t.parent_id.clear();
  return t;
}

std::string new_trace_id(std::chrono::system_clock::time_point now) {
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch())
          .count();
  char buf[9];
  const auto r =
      std::to_chars(buf, buf + 8, static_cast<std::uint32_t>(secs), 16);
  return "1-" + std::string(8 - static_cast<std::size_t>(r.ptr - buf), '0') +
         std::string(buf, r.ptr) + "-" + random_hex(24);
}

std::string new_segment_id() { return random_hex(16); }

std::string format_segment(const xray_segment& s) {
  boost::json::object doc;
  doc["name"] = s.name;
  doc["id"] = s.id;
  doc["trace_id"] = s.trace.trace_id;
  if (!s.trace.parent_id.empty()) doc["parent_id"] = s.trace.parent_id;
  doc["start_time"] = seconds(s.start);
  doc["end_time"] = seconds(s.end);
  if (s.subsegment) {
    doc["type"] = "subsegment";
    doc["namespace"] = "aws";
  } else {
    doc["origin"] = "AWS::ECS::Container";
  }
  boost::json::object http;
  http["request"] = boost::json::object{{"method", s.method}, {"url", s.url}};
  if (s.status != 0) {
    http["response"] = boost::json::object{{"status", s.status}};
    if (s.status == 429) doc["throttle"] = true;
    if (s.status >= 400 && s.status < 500) doc["error"] = true;
    if (s.status >= 500) doc["fault"] = true;
  } else {
    doc["fault"] = true;
  }
  doc["http"] = std::move(http);
  if (!s.aws_operation.empty())
    doc["aws"] = boost::json::object{{"operation", s.aws_operation}};
  return boost::json::serialize(doc);
}

xray_emitter::xray_emitter(net::io_context& ioc) : ioc_(ioc), socket_(ioc) {}

std::error_code xray_emitter::open(std::string_view address) {
  std::string addr(address);
  if (addr.empty()) {
    const char* env = std::getenv("AWS_XRAY_DAEMON_ADDRESS");
    addr = env && *env ? env : "127.0.0.1:2000";
  }
  // "tcp:127.0.0.1:2000 udp:127.0.0.2:2001": segments go over UDP.
  if (const auto udp = addr.find("udp:"); udp != std::string::npos) {
    addr = addr.substr(udp + 4);
    addr = addr.substr(0, addr.find(' '));
  }
  std::string host, port;
  if (!split_host_port(addr, host, port))
    return std::make_error_code(std::errc::invalid_argument);
  boost::system::error_code ec;
  net::ip::udp::resolver resolver(ioc_);
  const auto results = resolver.resolve(host, port, ec);
  if (ec) return ec;
  if (results.empty())
    return std::make_error_code(std::errc::address_not_available);
  daemon_ = *results.begin();
  socket_.open(daemon_.protocol(), ec);
  return ec;
}

void xray_emitter::emit(const xray_segment& s) {
  auto packet = std::make_shared<std::string>(
      "{\"format\":\"json\",\"version\":1}\n" + format_segment(s));
  net::post(ioc_, [self = shared_from_this(), packet] {
    self->socket_.async_send_to(
        net::buffer(*packet), self->daemon_,
        [self, packet](boost::system::error_code, std::size_t) {
          // Tracing is best-effort: a lost segment is not worth a retry.
        });
  });
}

}  // namespace chat::detail
