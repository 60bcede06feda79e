// The plain HTTP side of the WebSocket port: health, readiness, metrics and
// the answers to requests that are not an upgrade.
#pragma once

#include "transport/transport.hpp"

#include <boost/beast/http.hpp>

#include <string>

namespace chat::detail {

using http_request =
    boost::beast::http::request<boost::beast::http::string_body>;
using http_response =
    boost::beast::http::response<boost::beast::http::string_body>;

/// A plain-text response with the server's usual headers.
http_response text_response(unsigned version, boost::beast::http::status status,
                            std::string body);

/// The answer to a request that is not a WebSocket upgrade:
///   GET /healthz  200 "ok" while the process serves at all;
///   GET /readyz   200 "ready", or 503 "draining" once a stop began;
///   GET /metrics  200, Prometheus text format 0.0.4;
///   GET /ws       426;
///   GET PATH      a file of cfg.files (ETag, If-None-Match, nosniff, CSP);
///   other paths 404; other methods 405. HEAD is GET without the body.
http_response answer_http(const context& ctx, const http_request& req);

}  // namespace chat::detail
