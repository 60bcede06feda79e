// What every transport shares: logging, ids, registration, the tracker.
#include "transport/transport.hpp"

#include <charconv>
#include <random>

namespace chat::detail {

void logger::operator()(log_level l, std::string_view text) const noexcept {
  if (!enabled(l)) return;
  try {
    hooks_.log(l, text);
  } catch (...) {
    // A failing log hook has nowhere to report to; dropping is all we can do.
  }
}

std::string context::make_connection_id() const {
  static constexpr char digits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t r = rng();
  char buf[11];  // 62^11 > 2^64
  for (char& c : buf) {
    c = digits[r % 62];
    r /= 62;
  }
  std::string id = id_prefix;
  id.append(buf, sizeof buf);
  return id;
}

void context::attach(const std::shared_ptr<connection>& c, std::string user,
                     transport_kind kind, std::string_view remote) {
  do {
    c->bind(make_connection_id(), user);
  } while (!route.attach(c));
  announce(c, kind, remote);
}

bool context::attach_as(const std::shared_ptr<connection>& c, std::string id,
                        std::string user, transport_kind kind,
                        std::string_view remote) {
  c->bind(std::move(id), std::move(user));
  if (!route.attach(c)) return false;
  announce(c, kind, remote);
  return true;
}

void context::announce(const std::shared_ptr<connection>& c,
                       transport_kind kind, std::string_view remote) {
  stats.opened(kind);
  if (wants(log_level::info)) {
    emit({log_level::info,
          "connect",
          {{"connection", c->id()},
           {"user", c->user()},
           {"transport", to_string(kind)},
           {"remote", remote}}});
  }
  if (cfg.hooks.on_connect) {
    try {
      cfg.hooks.on_connect(*c);
    } catch (const std::exception& e) {
      log(log_level::error, std::string("on_connect hook threw: ") + e.what());
    } catch (...) {
      log(log_level::error, "on_connect hook threw");
    }
  }
}

void context::detach(const connection& c, transport_kind kind) {
  if (!route.detach(c)) return;
  stats.closed(kind);
  if (wants(log_level::info)) {
    emit({log_level::info,
          "disconnect",
          {{"connection", c.id()},
           {"user", c.user()},
           {"transport", to_string(kind)}}});
  }
  if (cfg.hooks.on_disconnect) {
    try {
      cfg.hooks.on_disconnect(c);
    } catch (const std::exception& e) {
      log(log_level::error,
          std::string("on_disconnect hook threw: ") + e.what());
    } catch (...) {
      log(log_level::error, "on_disconnect hook threw");
    }
  }
}

auth_result context::authenticate(const handshake& h) const {
  if (!cfg.hooks.authenticate) {
    if (h.user.empty()) {
      return auth_result::refuse(400, "missing user: connect to /ws?user=NAME");
    }
    if (!valid_user_name(h.user)) {
      return auth_result::refuse(
          400,
          "invalid user name: 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    return auth_result::accept(std::string(h.user));
  }
  try {
    auth_result r = cfg.hooks.authenticate(h);
    if (!r.user.empty() && !valid_user_name(r.user)) {
      log(log_level::error, "authenticate hook returned an invalid user name");
      return auth_result::refuse(403, "authentication failed");
    }
    if (r.user.empty() && r.status != 401 && r.status != 403) r.status = 403;
    return r;
  } catch (const std::exception& e) {
    log(log_level::error, std::string("authenticate hook threw: ") + e.what());
  } catch (...) {
    log(log_level::error, "authenticate hook threw");
  }
  return auth_result::refuse(403, "authentication failed");
}

void tracker::add(const std::shared_ptr<session_base>& s) {
  std::lock_guard lock(mu_);
  live_.emplace(s.get(), s);
}

void tracker::remove(const session_base* s) {
  std::lock_guard lock(mu_);
  live_.erase(s);
  if (live_.empty()) cv_.notify_all();
}

void tracker::shutdown_all(bool terminate) {
  std::vector<std::shared_ptr<session_base>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (auto& [p, w] : live_) {
      if (auto s = w.lock()) snapshot.push_back(std::move(s));
    }
  }
  for (auto& s : snapshot) terminate ? s->terminate() : s->shutdown();
}

bool tracker::wait_empty(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return live_.empty(); });
}

std::size_t tracker::size() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

bool split_host_port(std::string_view addr, std::string& host,
                     std::string& port) {
  std::size_t colon;
  if (!addr.empty() && addr.front() == '[') {
    const auto close = addr.find(']');
    if (close == std::string_view::npos || close + 1 >= addr.size() ||
        addr[close + 1] != ':') {
      return false;
    }
    host = addr.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = addr.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = addr.substr(0, colon);
  }
  port = addr.substr(colon + 1);
  if (host.empty() || port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  return r.ec == std::errc{} && r.ptr == port.data() + port.size() &&
         value <= 65535;
}

}  // namespace chat::detail

namespace chat::detail {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> query_param(std::string_view target,
                                       std::string_view key) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                         : pair.substr(eq + 1));
    }
    rest = amp == std::string_view::npos ? std::string_view{}
                                         : rest.substr(amp + 1);
  }
  return std::nullopt;
}

}  // namespace chat::detail
