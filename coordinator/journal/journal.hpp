#pragma once

// The coordinator's durable journal: an append-only log of opaque records
// (a kind and a payload, both chosen by the caller) with snapshots, in one
// embedded SQLite database file. The model store (model_store.hpp) keeps the
// model's edits and snapshots here; see coordinator/journal/README.md for the
// tables and the durability contract.
//
// Durability: append() and write_snapshot() return only after SQLite has
// committed the transaction. With the default sync_mode::full (WAL mode,
// PRAGMA synchronous=FULL) the commit is fsync'ed to the write-ahead log, so
// a record whose append() returned survives a crash of the process or of the
// machine. sync_mode::normal survives a process crash but may lose the last
// commits on power loss; sync_mode::off is for tests and benchmarks only.
//
// Sequence numbers start at 1, grow by one per append and are never reused,
// not even after compaction removed every record.
//
// Thread-safety: one writer thread. A journal object must be used by one
// thread at a time (in the coordinator, the controller actor, which owns the
// model store through coordinator/journal_port.hpp); stats() alone may be
// read from any thread. By default the database file is locked exclusively
// while a journal object has it open, so a second coordinator (or a second
// journal object) on the same file fails to open instead of interleaving.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/result.hpp"

namespace fabric::journal {

/// Tests only: when the environment variable FABRIC_JOURNAL_CRASH_AFTER names
/// a record kind (an edit name such as "delete_deployment"), the process
/// kills itself with SIGKILL right after the journal has INSERTed the first
/// record of that kind: committed when it was a lone append(), uncommitted
/// (rolled back on the next open) when it was part of an append_all() batch.
/// The crash tests use it to stop a coordinator between the edits of one
/// operation and check that it happened completely or not at all. Read once,
/// at the first append; unset in production.
inline constexpr const char* crash_failpoint_env = "FABRIC_JOURNAL_CRASH_AFTER";

enum class sync_mode {
  full,   ///< PRAGMA synchronous=FULL: every commit is fsync'ed (default)
  normal, ///< PRAGMA synchronous=NORMAL: WAL fsync'ed at checkpoints only
  off,    ///< PRAGMA synchronous=OFF: no fsync at all (tests, benchmarks)
};

struct journal_options {
  sync_mode sync = sync_mode::full;
  /// write_snapshot(seq) deletes the records up to seq and the older
  /// snapshots in the same transaction.
  bool compact_on_snapshot = true;
  /// Hold the database file's lock for the journal's lifetime (see above).
  bool exclusive = true;
  /// How long open() waits for another holder of the file lock, in ms.
  int busy_timeout_ms = 2000;
};

/// One appended record.
struct record {
  std::int64_t seq = 0;
  std::string kind;
  std::string payload;
};

/// A snapshot: the caller's state after every record up to `seq`.
struct snapshot {
  std::int64_t seq = 0;
  std::string payload;
};

/// What load() returns: the latest snapshot (if any) and the records after it,
/// in sequence order.
struct journal_contents {
  std::optional<snapshot> latest_snapshot;
  std::vector<record> records;
};

/// Counters since open() (monotonic; for the metrics layer).
struct journal_stats {
  std::uint64_t appends = 0;
  std::uint64_t appended_bytes = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t compacted_records = 0;
  std::uint64_t failed_writes = 0;
};

/// Called after every append / write_snapshot / load (successful or not) with
/// the operation's name ("append", "snapshot", "load") and its wall time.
using latency_observer = std::function<void(std::string_view operation, std::chrono::nanoseconds)>;

class journal {
public:
  /// Opens (creating when absent) the journal at `path`. The parent directory
  /// must exist. Errors name the path and the cause, e.g.
  /// "journal '/data/j.db': cannot open: file is not a database" or
  /// "... : not a fabric journal (the database has other tables)".
  static result<journal> open(const std::string& path, journal_options options = {});

  journal(journal&&) noexcept;
  journal& operator=(journal&&) noexcept;
  /// Closes the database (as close() does, ignoring errors).
  ~journal();

  /// Appends one record and returns its sequence number once it is durable
  /// (see sync_mode). On error nothing was appended.
  /// REQUIRES: the journal is open (not closed, not moved from).
  result<std::int64_t> append(std::string_view kind, std::string_view payload);

  /// One record of append_all: kind and payload.
  using record_view = std::pair<std::string_view, std::string_view>;
  /// Appends every record in one transaction (one durable write for all) and
  /// returns the sequence number of the last; all or nothing: on error none
  /// was appended. An empty list appends nothing and returns last_seq().
  /// REQUIRES: the journal is open.
  result<std::int64_t> append_all(const std::vector<record_view>& records);

  /// Stores a snapshot covering every record up to `seq`; with
  /// compact_on_snapshot those records and older snapshots are deleted in the
  /// same transaction. A snapshot at the same seq as the latest replaces it.
  /// Errors: seq < 0, seq > last_seq(), seq older than the latest snapshot.
  status write_snapshot(std::int64_t seq, std::string_view payload);

  /// The latest snapshot and the records after it, read in one transaction.
  result<journal_contents> load() const;

  /// The highest sequence number ever appended (0 for a new journal).
  std::int64_t last_seq() const;

  /// The path given to open().
  const std::string& path() const;

  /// Thread-safe.
  journal_stats stats() const;

  /// REQUIRES: not called concurrently with another member.
  void set_latency_observer(latency_observer observer);

  /// Checkpoints the WAL into the database file and closes it. Not needed for
  /// durability; afterwards only path() and stats() may be called.
  status close();

private:
  struct impl;
  explicit journal(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace fabric::journal
