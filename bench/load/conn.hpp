// worker::conn: one client connection of chat-load.
#pragma once

#include "worker.hpp"

#include <cstdint>
#include <string>

namespace load {

struct worker::conn {
  enum class st : std::uint8_t {
    waiting,     // not connected yet
    connecting,  // connect() in progress
    upgrading,   // WebSocket: waiting for the 101
    welcoming,   // waiting for the welcome frame
    open,
    closed
  };

  bool peer = false;      // connects to --peer-port
  std::size_t index = 0;  // in the worker's list: picks the source address
  int fd = -1;
  st state = st::waiting;
  bool armed_out = false;  // EPOLLOUT requested
  bool dirty = false;      // in the worker's list of output to write
  bool blocked = false;    // in the worker's list waiting for rate tokens
  std::uint32_t mask = 0;  // WebSocket masking key
  std::string user;
  conn* partner = nullptr;  // null for an idle connection
  std::string in;           // an incomplete frame
  std::string out;          // written at the end of the turn
  std::string fragments;    // a fragmented WebSocket message so far

  std::uint64_t sent = 0;      // sends written
  std::uint64_t rejected = 0;  // of those, answered with an error
  std::uint64_t received = 0;  // from the partner, each once, in order
  std::uint64_t expect = 0;    // the next sequence number from the partner
};

}  // namespace load
