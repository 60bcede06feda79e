// The SQLite journal. See sqlite_journal.hpp.
#include "store/sqlite_journal.hpp"

#include <sqlite3.h>

#include <chrono>

namespace chat::detail {

// FNV-1a, 63 bits (SQLite integers are signed): a torn or flipped body is
// found before it is parsed, let alone delivered.
std::int64_t record_checksum(std::string_view bytes) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h >> 1);
}

bool sound_message_record(int state, std::string_view frame,
                          std::int64_t sum) noexcept {
  return state >= 0 && state <= 2 && record_checksum(frame) == sum;
}

namespace {

// Ops taken from the queue into one transaction at most; a bigger batch
// only delays the answers of its first sends.
constexpr std::size_t max_batch = 4096;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  message_id TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL,
  recipient  TEXT NOT NULL,
  sender     TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  state      INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  frame      BLOB NOT NULL,
  sum        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (
  seq   INTEGER PRIMARY KEY,
  user  TEXT NOT NULL,
  frame BLOB NOT NULL,
  sum   INTEGER NOT NULL
);
)sql";

std::int64_t checksum(std::string_view bytes) { return record_checksum(bytes); }

struct statement {
  sqlite3_stmt* s = nullptr;
  statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) s = nullptr;
  }
  ~statement() { sqlite3_finalize(s); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  void blob(int i, const std::string& v) {
    sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  // Runs a statement that returns no rows.
  bool run() {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE;
  }
  std::string column_text(int i) const {
    const auto* p = sqlite3_column_text(s, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
             : std::string();
  }
  std::string column_blob(int i) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
    return p ? std::string(p,
                           static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
             : std::string();
  }
};

bool exec(sqlite3* db, const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error = msg ? msg : sqlite3_errmsg(db);
  sqlite3_free(msg);
  return false;
}

}  // namespace

std::unique_ptr<sqlite_journal> sqlite_journal::open(const std::string& path,
                                                     std::string& error) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    error = "cannot open store \"" + path +
            "\": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  // WAL with synchronous=FULL: a commit is on disk when it returns, and
  // readers never block the writer.
  std::string why;
  if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", why) ||
      !exec(db, schema, why)) {
    error = "store \"" + path + "\" is unusable: " + why;
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<sqlite_journal> j(new sqlite_journal(db));
  statement check(db, "PRAGMA quick_check");
  std::string verdict;
  while (check.s && sqlite3_step(check.s) == SQLITE_ROW) {
    const std::string line = check.column_text(0);
    if (line == "ok") continue;
    if (!verdict.empty()) verdict += "; ";
    verdict += line;
  }
  if (!verdict.empty()) j->corrupt_problem_ = "store is damaged: " + verdict;
  return j;
}

sqlite_journal::sqlite_journal(sqlite3* db) : db_(db) {}

sqlite_journal::~sqlite_journal() {
  stop();
  sqlite3_close(db_);
}

void sqlite_journal::load(const std::function<void(stored_message)>& message,
                          const std::function<void(stored_receipt)>& receipt) {
  std::size_t bad = 0;
  {
    statement q(db_,
                "SELECT seq, message_id, recipient, sender, client_id, "
                "created_ms, state, status, frame, sum FROM messages "
                "ORDER BY seq");
    while (q.s && sqlite3_step(q.s) == SQLITE_ROW) {
      stored_message m;
      m.seq = static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 0));
      m.message_id = q.column_text(1);
      m.recipient = q.column_text(2);
      m.sender = q.column_text(3);
      m.client_id = q.column_text(4);
      m.created_ms = sqlite3_column_int64(q.s, 5);
      const int state = sqlite3_column_int(q.s, 6);
      m.status = sqlite3_column_int(q.s, 7);
      m.frame = q.column_blob(8);
      if (!sound_message_record(state, m.frame, sqlite3_column_int64(q.s, 9))) {
        ++bad;
        continue;
      }
      m.state = static_cast<delivery_state>(state);
      message(std::move(m));
    }
  }
  {
    statement q(db_, "SELECT seq, user, frame, sum FROM receipts ORDER BY seq");
    while (q.s && sqlite3_step(q.s) == SQLITE_ROW) {
      stored_receipt r;
      r.seq = static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 0));
      r.user = q.column_text(1);
      r.frame = q.column_blob(2);
      if (checksum(r.frame) != sqlite3_column_int64(q.s, 3)) {
        ++bad;
        continue;
      }
      receipt(std::move(r));
    }
  }
  if (bad > 0) {
    std::lock_guard lock(mu_);
    if (!corrupt_problem_.empty()) corrupt_problem_ += "; ";
    corrupt_problem_ +=
        std::to_string(bad) + " damaged records skipped (checksum mismatch)";
  }
}

void sqlite_journal::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void sqlite_journal::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void sqlite_journal::enqueue(op o) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(o));
  }
  cv_.notify_one();
}

void sqlite_journal::put(stored_message m, done_fn done) {
  enqueue(put_op{std::move(m), std::move(done)});
}

void sqlite_journal::progress(const std::string& message_id, delivery_state s) {
  enqueue(progress_op{message_id, s});
}

void sqlite_journal::answered(const std::string& message_id, int status) {
  enqueue(answered_op{message_id, status});
}

void sqlite_journal::erase(const std::string& message_id) {
  enqueue(erase_op{message_id});
}

void sqlite_journal::put_receipt(stored_receipt r) { enqueue(std::move(r)); }

void sqlite_journal::erase_receipt(std::uint64_t seq) {
  enqueue(erase_receipt_op{seq});
}

std::string sqlite_journal::problem() const {
  std::lock_guard lock(mu_);
  if (write_problem_.empty()) return corrupt_problem_;
  if (corrupt_problem_.empty()) return write_problem_;
  return write_problem_ + "; " + corrupt_problem_;
}

void sqlite_journal::set_problem(std::string p) {
  std::lock_guard lock(mu_);
  write_problem_ = std::move(p);
}

std::uint64_t sqlite_journal::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

std::uint64_t sqlite_journal::commit_ns() const {
  std::lock_guard lock(mu_);
  return commit_ns_;
}

void sqlite_journal::run() {
  std::deque<op> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and all written
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    const bool ok = apply(batch, error);
    const auto took = std::chrono::steady_clock::now() - start;
    {
      std::lock_guard lock(mu_);
      ++commits_;
      commit_ns_ += static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
      write_problem_ = ok ? std::string() : "store write failed: " + error;
    }
    // Answers go out in the order of the puts, after the commit.
    for (auto& o : batch) {
      if (auto* p = std::get_if<put_op>(&o)) p->done(ok);
    }
    batch.clear();
  }
}

bool sqlite_journal::apply(std::deque<op>& batch, std::string& error) {
  if (!exec(db_, "BEGIN IMMEDIATE", error)) return false;
  statement put(db_,
                "INSERT OR REPLACE INTO messages (message_id, seq, recipient, "
                "sender, client_id, created_ms, state, status, frame, sum) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9)");
  statement upd(db_,
                "UPDATE messages SET state = ?2, frame = x'', sum = ?3 "
                "WHERE message_id = ?1 AND state < ?2");
  statement ans(db_, "UPDATE messages SET status = ?2 WHERE message_id = ?1");
  statement del(db_, "DELETE FROM messages WHERE message_id = ?1");
  statement rput(db_,
                 "INSERT OR REPLACE INTO receipts (seq, user, frame, sum) "
                 "VALUES (?1, ?2, ?3, ?4)");
  statement rdel(db_, "DELETE FROM receipts WHERE seq = ?1");
  if (!put.s || !upd.s || !ans.s || !del.s || !rput.s || !rdel.s) {
    error = sqlite3_errmsg(db_);
    exec(db_, "ROLLBACK", error);
    return false;
  }
  const std::int64_t empty_sum = checksum({});
  bool ok = true;
  for (auto& o : batch) {
    if (auto* p = std::get_if<put_op>(&o)) {
      const stored_message& m = p->m;
      put.text(1, m.message_id);
      put.integer(2, static_cast<std::int64_t>(m.seq));
      put.text(3, m.recipient);
      put.text(4, m.sender);
      put.text(5, m.client_id);
      put.integer(6, m.created_ms);
      put.integer(7, m.status);
      put.blob(8, m.frame);
      put.integer(9, checksum(m.frame));
      ok = put.run();
    } else if (auto* u = std::get_if<progress_op>(&o)) {
      upd.text(1, u->message_id);
      upd.integer(2, static_cast<int>(u->state));
      upd.integer(3, empty_sum);
      ok = upd.run();
    } else if (auto* a = std::get_if<answered_op>(&o)) {
      ans.text(1, a->message_id);
      ans.integer(2, a->status);
      ok = ans.run();
    } else if (auto* e = std::get_if<erase_op>(&o)) {
      del.text(1, e->message_id);
      ok = del.run();
    } else if (auto* r = std::get_if<stored_receipt>(&o)) {
      rput.integer(1, static_cast<std::int64_t>(r->seq));
      rput.text(2, r->user);
      rput.blob(3, r->frame);
      rput.integer(4, checksum(r->frame));
      ok = rput.run();
    } else if (auto* er = std::get_if<erase_receipt_op>(&o)) {
      rdel.integer(1, static_cast<std::int64_t>(er->seq));
      ok = rdel.run();
    }
    if (!ok) break;
  }
  if (ok && exec(db_, "COMMIT", error)) return true;
  if (error.empty()) error = sqlite3_errmsg(db_);
  std::string ignored;
  exec(db_, "ROLLBACK", ignored);
  return false;
}

}  // namespace chat::detail
