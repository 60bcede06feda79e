// detail::sqlite_journal: the mailbox's changes in one SQLite file (WAL),
// written by one store thread in batches, one transaction per batch.
#pragma once

#include "store/journal.hpp"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <variant>

struct sqlite3;

namespace chat::detail {

/// The checksum stored with each record's frame.
std::int64_t record_checksum(std::string_view bytes) noexcept;

/// Whether a loaded message row may be used: a known delivery state and a
/// frame that matches its checksum (else it is skipped and counted).
bool sound_message_record(int state, std::string_view frame,
                          std::int64_t sum) noexcept;

/// Thread safety: as `journal`. The SQLite handle is used by the store
/// thread only (and by open()/load() before it starts).
class sqlite_journal final : public journal {
 public:
  /// Opens (creating if needed) the database at `path`. Fails, with a
  /// message in `error`, when the file cannot be opened, is not a database
  /// or cannot be written. A database that opens but fails its integrity
  /// check is reported by problem(), not refused: what can be read is
  /// served, what cannot is skipped and counted.
  static std::unique_ptr<sqlite_journal> open(const std::string& path,
                                              std::string& error);
  ~sqlite_journal() override;

  void load(const std::function<void(stored_message)>& message,
            const std::function<void(stored_receipt)>& receipt) override;
  void put(stored_message m, done_fn done) override;
  void progress(const std::string& message_id, delivery_state s) override;
  void answered(const std::string& message_id, int status) override;
  void erase(const std::string& message_id) override;
  void put_receipt(stored_receipt r) override;
  void erase_receipt(std::uint64_t seq) override;
  std::string problem() const override;

  /// Starts the store thread (after load()).
  void start();
  /// Writes what is queued and stops the store thread.
  void stop();

  /// Batches committed, and the time they took (for metrics and benches).
  std::uint64_t commits() const override;
  std::uint64_t commit_ns() const override;

 private:
  struct put_op {
    stored_message m;
    done_fn done;
  };
  struct progress_op {
    std::string message_id;
    delivery_state state;
  };
  struct answered_op {
    std::string message_id;
    int status;
  };
  struct erase_op {
    std::string message_id;
  };
  struct erase_receipt_op {
    std::uint64_t seq;
  };
  using op = std::variant<put_op, progress_op, answered_op, erase_op,
                          stored_receipt, erase_receipt_op>;

  explicit sqlite_journal(sqlite3* db);
  void enqueue(op o);
  void run();
  bool apply(std::deque<op>& batch, std::string& error);
  void set_problem(std::string p);

  sqlite3* db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<op> queue_;         // Guarded by mu_.
  bool stopping_ = false;        // Guarded by mu_.
  std::string write_problem_;    // Guarded by mu_.
  std::string corrupt_problem_;  // Guarded by mu_.
  std::uint64_t commits_ = 0;    // Guarded by mu_.
  std::uint64_t commit_ns_ = 0;  // Guarded by mu_.
  std::thread thread_;
};

}  // namespace chat::detail
