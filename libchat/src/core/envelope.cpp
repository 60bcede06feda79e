#include <chat/envelope.hpp>

#include <google/protobuf/arena.h>

namespace chat {
namespace {

// An envelope whose frame lives in an arena that starts in the envelope's
// own storage. 512 bytes hold a message with all its fields, or a receipt:
// the arena's header, the objects, and the cleanup entries of its strings
// (whose characters, past the 15 a std::string keeps inline, are on the
// heap whatever their length). chat_alloc_bench counts one allocation for
// the envelope and its frame; a larger frame goes on in blocks of the
// arena's own.
class arena_envelope final : public envelope {
 public:
  arena_envelope() : arena_(block_, sizeof block_) {
    adopt(google::protobuf::Arena::CreateMessage<v1::ServerFrame>(&arena_));
  }

 private:
  alignas(16) char block_[512];
  google::protobuf::Arena arena_;  // frees the frame, then its blocks
};

}  // namespace

std::shared_ptr<envelope> envelope::make() {
  return std::make_shared<arena_envelope>();
}

const std::string& envelope::encoded(wire_format f) const {
  const auto i = static_cast<std::size_t>(f);
  if (!ready_[i].load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (!ready_[i].load(std::memory_order_relaxed)) {
      encode(*frame_, f, encoded_[i]);
      ready_[i].store(true, std::memory_order_release);
    }
  }
  return encoded_[i];
}

}  // namespace chat
