// detail::authenticate_request: one HTTP handshake through the
// authenticate hook, for the transports that receive HTTP requests.
#pragma once

#include "transport/transport.hpp"

#include <boost/beast/http/field.hpp>

namespace chat::detail {

/// Completes `hs` from the request (a `Bearer` token when no other token was
/// given; the headers, when a hook will read them), authenticates it and
/// counts a refusal. `req` must outlive the call.
template <class Request>
auth_result authenticate_request(context& ctx, transport_kind kind,
                                 const Request& req, handshake hs) {
  const std::string_view authz = req[boost::beast::http::field::authorization];
  if (hs.token.empty() && authz.starts_with("Bearer ")) {
    hs.token = authz.substr(7);
  }
  if (ctx.cfg.hooks.authenticate) {
    for (const auto& field : req) {
      hs.headers.emplace_back(field.name_string(), field.value());
    }
  }
  auth_result r = ctx.authenticate(hs);
  if (r.user.empty()) {
    ctx.refused(kind, hs.remote_address, refusal_for(r.status), r.status,
                r.reason);
  }
  return r;
}

}  // namespace chat::detail
