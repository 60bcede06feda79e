// load::worker: one event loop (epoll) and the connections it owns.
//
// Both connections of a pair live on the same worker, so the window (how
// many of a sender's messages its partner has not received yet) is two
// counters read on one thread. Reads go into one large buffer and every
// frame a read brought is handled before the next; what a turn of the loop
// produced for a connection is written with one write() at its end.
#pragma once

#include <chat/v1/chat.pb.h>

#include "options.hpp"
#include "stats.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <netinet/in.h>

namespace load {

struct frame;

enum class phase : int { connect_idle, connect_active, run, quit };

/// Set by the main thread, read by the workers.
struct control {
  std::atomic<phase> now{phase::connect_idle};
  std::atomic<bool> sending{false};
  std::atomic<bool> measuring{false};
};

/// Thread safety: run() on its own thread; the atomics may be read from
/// any thread; result() only after run() returned.
class worker {
 public:
  worker(const options& o, const control& c, const sockaddr_in& server,
         int index);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Before run(): this worker's pairs and idle connections.
  void add_pair(int pair);
  void add_idle(int n);

  void run();

  std::atomic<int> idle_open{0};
  std::atomic<int> active_open{0};
  std::atomic<int> failed{0};
  /// Messages received so far (progress, for stall detection).
  std::atomic<std::uint64_t> progress{0};
  /// No message in flight, and with --count every connection sent all.
  std::atomic<bool> drained{false};

  const tally& result() const { return tally_; }
  /// Sends the server accepted that never arrived (after run()).
  std::uint64_t lost() const;

 private:
  struct conn;

  // worker.cpp: sockets and the loop.
  void start_connects(phase ph, double now_s);
  void connect(conn& c);
  void on_event(conn& c, std::uint32_t events);
  void on_connected(conn& c);
  void on_readable(conn& c);
  void on_bytes(conn& c, std::string_view bytes);
  std::size_t parse(conn& c, std::string_view bytes);
  void mark(conn& c);
  void flush(conn& c);
  void fail(conn& c, bool connecting);
  void watch(conn& c, bool out);

  // worker_frames.cpp: the protocol.
  bool on_ws_frame(conn& c, const frame& f);
  void on_payload(conn& c, std::string_view payload, bool binary);
  void on_message(conn& c, const chat::v1::Message& m);
  void pump(conn& c);
  void write_send(conn& c);
  void write_ack(conn& c, const std::string& message_id);
  void write_frame(conn& c, std::string_view payload, bool binary);
  void serve_blocked(double now_s);
  void update_drained();

  const options& opt_;
  const control& ctl_;
  sockaddr_in server_;
  sockaddr_in peer_;  // --peer-port, else server_
  int index_;
  int ep_ = -1;
  std::vector<std::unique_ptr<conn>> conns_;
  std::deque<conn*> waiting_[2];  // [0] idle, [1] active: not connected yet
  std::vector<conn*> dirty_;      // output to write at the end of the turn
  std::deque<conn*> blocked_;     // waiting for rate tokens
  std::vector<char> buf_;         // the read buffer
  std::string scratch_;           // one frame's payload being built
  std::string body_;              // the message text being stamped
  chat::v1::ServerFrame in_;      // reused by every decode
  chat::v1::ClientFrame send_;    // reused by every protobuf send
  chat::v1::ClientFrame ack_;     // reused by every encoded ack
  double connect_tokens_ = 0, send_tokens_ = 0, last_s_ = 0;
  bool started_ = false;
  std::uint64_t active_ = 0;    // active connections, for --count
  std::uint64_t received_ = 0;  // from partners, each once, in order
  tally tally_;
};

}  // namespace load
