// detail::xray: AWS X-Ray segments, sent to the X-Ray daemon over UDP.
//
// The formatting is pure (trace ids, the X-Amzn-Trace-Id header, segment
// JSON); xray_emitter only sends. See
// https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace chat::detail {

/// Where a piece of work sits in a trace.
struct trace_context {
  std::string trace_id;   ///< "1-5759e988-bd862e3fe1be46a994272793"
  std::string parent_id;  ///< The segment this work belongs under.
  bool sampled = true;
};

/// Parses "Root=1-...;Parent=53995c3f42cd8ad8;Sampled=1"; nullopt without a
/// valid Root. A missing Sampled counts as sampled.
std::optional<trace_context> parse_trace_header(std::string_view header);

/// A new trace id: "1-", the time in hex seconds, "-", 96 random bits.
std::string new_trace_id(std::chrono::system_clock::time_point now);
/// A new segment id: 64 random bits, 16 hex digits.
std::string new_segment_id();

/// The trace of the integration request this thread is handling, or null:
/// how a delivery made while routing learns which segment it belongs under.
const trace_context* current_trace() noexcept;

/// Makes `t` the current trace for the life of the scope.
class trace_scope {
 public:
  explicit trace_scope(const trace_context* t) noexcept;
  ~trace_scope();
  trace_scope(const trace_scope&) = delete;
  trace_scope& operator=(const trace_scope&) = delete;

 private:
  const trace_context* prev_;
};

/// One segment or (with `subsegment`) an independently sent subsegment.
struct xray_segment {
  std::string name;
  std::string id;
  trace_context trace;  ///< trace_id, and parent_id when it has a parent.
  std::chrono::system_clock::time_point start, end;
  bool subsegment = false;
  std::string method, url;  ///< The HTTP request this segment served/made.
  unsigned status = 0;      ///< 0: no response (a transport error).
  std::string
      aws_operation;  ///< For @connections calls, e.g. PostToConnection.
};

/// The segment document, JSON.
std::string format_segment(const xray_segment& s);

/// Sends segments to the daemon: the header line
/// {"format":"json","version":1} and the document, one datagram each.
/// Thread safety: `emit` may be called from any thread.
class xray_emitter : public std::enable_shared_from_this<xray_emitter> {
 public:
  explicit xray_emitter(boost::asio::io_context& ioc);
  /// Resolves "host:port" (or the daemon's "udp:host:port tcp:..." form);
  /// empty means AWS_XRAY_DAEMON_ADDRESS, else 127.0.0.1:2000.
  [[nodiscard]] std::error_code open(std::string_view address);
  void emit(const xray_segment& s);

 private:
  boost::asio::io_context& ioc_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint daemon_;
};

}  // namespace chat::detail
