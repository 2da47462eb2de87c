#include "coordinator/journal/journal.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <utility>

#include <sqlite3.h>

namespace fabric::journal {

namespace {

constexpr const char* format_name = "fabric-journal";
constexpr const char* schema_version = "1";

constexpr const char* schema_sql =
  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta(key, value) VALUES('format', 'fabric-journal'), ('schema_version', '1');"
  "CREATE TABLE records(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
  "                     payload BLOB NOT NULL);"
  "CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);";

/// A prepared statement, finalized on destruction.
struct statement {
  sqlite3_stmt* s = nullptr;
  statement() = default;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(s); }
};

/// Resets a statement (and its bindings) when the scope ends.
struct reset_guard {
  sqlite3_stmt* s;
  ~reset_guard() {
    if (s == nullptr)
      return;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

std::string blob_of(sqlite3_stmt* s, int column) {
  const void* p = sqlite3_column_blob(s, column);
  int n = sqlite3_column_bytes(s, column);
  return p == nullptr ? std::string{} : std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

std::string text_of(sqlite3_stmt* s, int column) {
  const unsigned char* p = sqlite3_column_text(s, column);
  return p == nullptr ? std::string{} : std::string(reinterpret_cast<const char*>(p));
}

const char* pragma_value(sync_mode m) {
  switch (m) {
    case sync_mode::full: return "FULL";
    case sync_mode::normal: return "NORMAL";
    case sync_mode::off: return "OFF";
  }
  return "FULL";
}

/// The crash failpoint of tests (journal.hpp, crash_failpoint_env): the
/// record kind after whose INSERT this process kills itself; empty: off.
/// Read at every append (one getenv, nothing next to an fsync).
std::string_view crash_failpoint() {
  const char* v = std::getenv(crash_failpoint_env);
  return v ? std::string_view(v) : std::string_view();
}

/// SIGKILL, as `kill -9` from outside would: no destructor, no ROLLBACK, no
/// COMMIT runs; SQLite's WAL drops an uncommitted transaction on the next open.
void maybe_crash_after(std::string_view armed, std::string_view kind) {
  if (!armed.empty() && armed == kind)
    std::raise(SIGKILL);
}

} // namespace

struct journal::impl {
  std::string path;
  journal_options options;
  sqlite3* db = nullptr;
  statement insert_record;
  statement insert_snapshot;
  statement delete_records;
  statement delete_snapshots;
  statement select_snapshot;
  statement select_records;
  std::int64_t last_seq = 0;
  std::int64_t snapshot_seq = -1; ///< -1: no snapshot
  latency_observer observer;
  std::atomic<std::uint64_t> appends{0};
  std::atomic<std::uint64_t> appended_bytes{0};
  std::atomic<std::uint64_t> snapshots{0};
  std::atomic<std::uint64_t> compacted_records{0};
  std::atomic<std::uint64_t> failed_writes{0};

  ~impl() { close_db(); }

  error fail(const std::string& what) const {
    std::string msg = "journal '" + path + "': " + what;
    if (db != nullptr)
      msg += std::string(": ") + sqlite3_errmsg(db);
    return error{msg};
  }

  int close_db() {
    for (auto* st : {&insert_record, &insert_snapshot, &delete_records, &delete_snapshots,
                     &select_snapshot, &select_records}) {
      sqlite3_finalize(st->s);
      st->s = nullptr;
    }
    int rc = sqlite3_close(db);
    if (rc == SQLITE_OK)
      db = nullptr;
    return rc;
  }

  bool exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

  /// Runs the prepared INSERT of one record; true when it was inserted (in
  /// the open transaction, or in its own one).
  bool insert(std::string_view kind, std::string_view payload);

  bool prepare(statement& st, const char* sql) {
    return sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) == SQLITE_OK;
  }

  /// Runs a query for its first row's first column; empty when there is no
  /// row; an error (for fail()) when SQLite failed.
  bool query_text(const char* sql, std::optional<std::string>& out) {
    out.reset();
    statement st;
    if (!prepare(st, sql))
      return false;
    int rc = sqlite3_step(st.s);
    if (rc == SQLITE_ROW)
      out = text_of(st.s, 0);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
  }

  void observe(std::string_view op, std::chrono::steady_clock::time_point start) const {
    if (observer)
      observer(op, std::chrono::steady_clock::now() - start);
  }

  status setup();
  status check_schema();
};

status journal::impl::setup() {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (options.exclusive && !exec("PRAGMA locking_mode=EXCLUSIVE"))
    return fail("cannot open");
  std::optional<std::string> mode;
  if (!query_text("PRAGMA journal_mode=WAL", mode) || !mode)
    return fail("cannot open");
  if (*mode != "wal" && *mode != "memory")
    return error{"journal '" + path + "': cannot switch to WAL mode (the journal mode is '" + *mode
                 + "')"};
  if (!exec((std::string("PRAGMA synchronous=") + pragma_value(options.sync)).c_str()))
    return fail("cannot set the synchronous mode");
  if (auto st = check_schema(); !st)
    return st;
  if (!prepare(insert_record, "INSERT INTO records(kind, payload) VALUES(?, ?)")
      || !prepare(insert_snapshot, "INSERT OR REPLACE INTO snapshots(seq, payload) VALUES(?, ?)")
      || !prepare(delete_records, "DELETE FROM records WHERE seq <= ?")
      || !prepare(delete_snapshots, "DELETE FROM snapshots WHERE seq < ?")
      || !prepare(select_snapshot, "SELECT seq, payload FROM snapshots ORDER BY seq DESC LIMIT 1")
      || !prepare(select_records, "SELECT seq, kind, payload FROM records WHERE seq > ? ORDER BY seq"))
    return fail("cannot prepare the journal's statements");
  std::optional<std::string> seq;
  std::optional<std::string> snap;
  if (!query_text("SELECT seq FROM sqlite_sequence WHERE name = 'records'", seq)
      || !query_text("SELECT max(seq) FROM snapshots", snap))
    return fail("cannot read");
  last_seq = seq && !seq->empty() ? std::stoll(*seq) : 0;
  snapshot_seq = snap && !snap->empty() ? std::stoll(*snap) : -1;
  return ok_status();
}

/// Creates the tables in an empty database, or checks that an existing one is
/// a fabric journal of a known schema version. Takes the write lock either
/// way (so that, with `exclusive`, a second opener fails now, not later).
status journal::impl::check_schema() {
  if (!exec("BEGIN IMMEDIATE"))
    return fail("cannot open");
  std::optional<std::string> tables;
  if (!query_text("SELECT count(*) FROM sqlite_master WHERE type = 'table'", tables) || !tables) {
    auto e = fail("cannot open");
    exec("ROLLBACK");
    return e;
  }
  if (*tables == "0") {
    if (!exec(schema_sql)) {
      auto e = fail("cannot create the journal's tables");
      exec("ROLLBACK");
      return e;
    }
  } else {
    std::optional<std::string> format;
    std::optional<std::string> version;
    bool has_meta = false;
    {
      std::optional<std::string> n;
      if (!query_text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", n)) {
        auto e = fail("cannot open");
        exec("ROLLBACK");
        return e;
      }
      has_meta = n && *n == "1";
    }
    if (has_meta
        && (!query_text("SELECT value FROM meta WHERE key = 'format'", format)
            || !query_text("SELECT value FROM meta WHERE key = 'schema_version'", version))) {
      auto e = fail("cannot open");
      exec("ROLLBACK");
      return e;
    }
    exec("ROLLBACK");
    if (!format || *format != format_name)
      return error{"journal '" + path + "': not a fabric journal (the database has other tables)"};
    if (!version || *version != schema_version)
      return error{"journal '" + path + "': unsupported journal schema version '"
                   + version.value_or("") + "' (this build reads version " + schema_version + ")"};
    return ok_status();
  }
  if (!exec("COMMIT")) {
    auto e = fail("cannot create the journal's tables");
    exec("ROLLBACK");
    return e;
  }
  return ok_status();
}

result<journal> journal::open(const std::string& path, journal_options options) {
  auto p = std::make_unique<impl>();
  p->path = path;
  p->options = options;
  int rc = sqlite3_open_v2(path.c_str(), &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  if (rc != SQLITE_OK) {
    auto e = p->fail("cannot open");
    return e;
  }
  if (auto st = p->setup(); !st)
    return st.err();
  return journal{std::move(p)};
}

journal::journal(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

journal::journal(journal&&) noexcept = default;
journal& journal::operator=(journal&&) noexcept = default;
journal::~journal() = default;

bool journal::impl::insert(std::string_view kind, std::string_view payload) {
  sqlite3_stmt* s = insert_record.s;
  if (s == nullptr)
    return false;
  reset_guard guard{s};
  sqlite3_bind_text(s, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, payload.empty() ? "" : payload.data(), static_cast<int>(payload.size()),
                    SQLITE_STATIC);
  return sqlite3_step(s) == SQLITE_DONE;
}

result<std::int64_t> journal::append(std::string_view kind, std::string_view payload) {
  auto& d = *impl_;
  auto start = std::chrono::steady_clock::now();
  if (!d.insert(kind, payload)) {
    ++d.failed_writes;
    auto e = d.db == nullptr ? error{"journal '" + d.path + "': append on a closed journal"}
                             : d.fail("cannot append a '" + std::string(kind) + "' record");
    d.observe("append", start);
    return e;
  }
  maybe_crash_after(crash_failpoint(), kind);
  d.last_seq = sqlite3_last_insert_rowid(d.db);
  ++d.appends;
  d.appended_bytes += payload.size();
  d.observe("append", start);
  return d.last_seq;
}

result<std::int64_t> journal::append_all(const std::vector<record_view>& records) {
  auto& d = *impl_;
  if (records.empty())
    return d.last_seq;
  if (records.size() == 1)
    return append(records.front().first, records.front().second);
  auto start = std::chrono::steady_clock::now();
  auto refuse = [&](const std::string& what) -> result<std::int64_t> {
    ++d.failed_writes;
    auto e = d.db == nullptr ? error{"journal '" + d.path + "': append on a closed journal"}
                             : d.fail(what);
    if (d.db != nullptr)
      d.exec("ROLLBACK");
    d.observe("append", start);
    return e;
  };
  if (d.db == nullptr || !d.exec("BEGIN IMMEDIATE"))
    return refuse("cannot begin a batch of " + std::to_string(records.size()) + " records");
  std::uint64_t bytes = 0;
  const auto armed = crash_failpoint();
  for (auto& [kind, payload] : records) {
    if (!d.insert(kind, payload))
      return refuse("cannot append a '" + std::string(kind) + "' record");
    maybe_crash_after(armed, kind);  // inside the batch: nothing of it is committed
    bytes += payload.size();
  }
  auto last = sqlite3_last_insert_rowid(d.db);
  if (!d.exec("COMMIT"))
    return refuse("cannot commit a batch of " + std::to_string(records.size()) + " records");
  d.last_seq = last;
  d.appends += records.size();
  d.appended_bytes += bytes;
  d.observe("append", start);
  return d.last_seq;
}

status journal::write_snapshot(std::int64_t seq, std::string_view payload) {
  auto& d = *impl_;
  auto start = std::chrono::steady_clock::now();
  auto refuse = [&](error e) -> status {
    ++d.failed_writes;
    d.observe("snapshot", start);
    return e;
  };
  if (d.db == nullptr)
    return refuse(error{"journal '" + d.path + "': snapshot on a closed journal"});
  if (seq < 0 || seq > d.last_seq)
    return refuse(error{"journal '" + d.path + "': cannot snapshot at seq " + std::to_string(seq)
                        + "; the last record is seq " + std::to_string(d.last_seq)});
  if (seq < d.snapshot_seq)
    return refuse(error{"journal '" + d.path + "': cannot snapshot at seq " + std::to_string(seq)
                        + "; it is older than the latest snapshot (seq "
                        + std::to_string(d.snapshot_seq) + ")"});
  if (!d.exec("BEGIN IMMEDIATE"))
    return refuse(d.fail("cannot write a snapshot"));
  auto step = [&](sqlite3_stmt* s) {
    reset_guard guard{s};
    return sqlite3_step(s) == SQLITE_DONE;
  };
  bool ok = true;
  sqlite3_bind_int64(d.insert_snapshot.s, 1, seq);
  sqlite3_bind_blob(d.insert_snapshot.s, 2, payload.empty() ? "" : payload.data(),
                    static_cast<int>(payload.size()), SQLITE_STATIC);
  ok = step(d.insert_snapshot.s);
  std::uint64_t compacted = 0;
  if (ok && d.options.compact_on_snapshot) {
    sqlite3_bind_int64(d.delete_records.s, 1, seq);
    ok = step(d.delete_records.s);
    compacted = static_cast<std::uint64_t>(sqlite3_changes(d.db));
    if (ok) {
      sqlite3_bind_int64(d.delete_snapshots.s, 1, seq);
      ok = step(d.delete_snapshots.s);
    }
  }
  if (!ok || !d.exec("COMMIT")) {
    auto e = d.fail("cannot write a snapshot");
    d.exec("ROLLBACK");
    return refuse(e);
  }
  d.snapshot_seq = seq;
  ++d.snapshots;
  d.compacted_records += compacted;
  d.observe("snapshot", start);
  return ok_status();
}

result<journal_contents> journal::load() const {
  auto& d = *impl_;
  auto start = std::chrono::steady_clock::now();
  auto done = [&](result<journal_contents> r) {
    d.observe("load", start);
    return r;
  };
  if (d.db == nullptr)
    return done(error{"journal '" + d.path + "': load on a closed journal"});
  if (!d.exec("BEGIN"))
    return done(d.fail("cannot read"));
  journal_contents out;
  int rc = SQLITE_OK;
  {
    sqlite3_stmt* s = d.select_snapshot.s;
    reset_guard guard{s};
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      out.latest_snapshot = snapshot{sqlite3_column_int64(s, 0), blob_of(s, 1)};
      rc = SQLITE_DONE;
    }
  }
  if (rc == SQLITE_DONE) {
    sqlite3_stmt* s = d.select_records.s;
    reset_guard guard{s};
    sqlite3_bind_int64(s, 1, out.latest_snapshot ? out.latest_snapshot->seq : 0);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
      out.records.push_back(record{sqlite3_column_int64(s, 0), text_of(s, 1), blob_of(s, 2)});
  }
  if (rc != SQLITE_DONE) {
    auto e = d.fail("cannot read");
    d.exec("ROLLBACK");
    return done(e);
  }
  d.exec("COMMIT");
  return done(std::move(out));
}

std::int64_t journal::last_seq() const {
  return impl_->last_seq;
}

const std::string& journal::path() const {
  return impl_->path;
}

journal_stats journal::stats() const {
  const auto& d = *impl_;
  return journal_stats{d.appends.load(), d.appended_bytes.load(), d.snapshots.load(),
                       d.compacted_records.load(), d.failed_writes.load()};
}

void journal::set_latency_observer(latency_observer observer) {
  impl_->observer = std::move(observer);
}

status journal::close() {
  auto& d = *impl_;
  if (d.db == nullptr)
    return ok_status();
  if (d.close_db() != SQLITE_OK)
    return d.fail("cannot close");
  return ok_status();
}

} // namespace fabric::journal
