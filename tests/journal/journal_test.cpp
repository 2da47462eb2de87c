#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "coordinator/journal/journal.hpp"

using fabric::journal::journal;
using fabric::journal::journal_options;
using fabric::journal::sync_mode;

namespace fs = std::filesystem;

namespace {

/// A fresh directory per test, removed afterwards.
class journal_test : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fabric-journal-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name = "j.db") const { return (fs::path(dir_) / name).string(); }

  static journal open_ok(const std::string& p, journal_options o = {}) {
    auto j = journal::open(p, o);
    EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.err().message);
    return std::move(*j);
  }

  std::string dir_;
};

std::vector<std::string> payloads(const fabric::journal::journal_contents& c) {
  std::vector<std::string> out;
  for (const auto& r : c.records)
    out.push_back(r.payload);
  return out;
}

} // namespace

TEST_F(journal_test, a_new_journal_is_empty) {
  auto j = open_ok(path());
  EXPECT_EQ(j.last_seq(), 0);
  auto c = j.load();
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_FALSE(c->latest_snapshot.has_value());
  EXPECT_TRUE(c->records.empty());
}

TEST_F(journal_test, appends_get_increasing_seqs_and_load_in_order) {
  auto j = open_ok(path());
  std::string binary("a\0b\xff", 4);
  EXPECT_EQ(*j.append("edit", "one"), 1);
  EXPECT_EQ(*j.append("edit", ""), 2);
  EXPECT_EQ(*j.append("mark", binary), 3);
  auto c = j.load();
  ASSERT_TRUE(c.ok()) << c.err().message;
  ASSERT_EQ(c->records.size(), 3u);
  EXPECT_EQ(c->records[0].seq, 1);
  EXPECT_EQ(c->records[2].seq, 3);
  EXPECT_EQ(c->records[2].kind, "mark");
  EXPECT_EQ(payloads(*c), (std::vector<std::string>{"one", "", binary}));
  EXPECT_EQ(j.stats().appends, 3u);
  EXPECT_EQ(j.stats().appended_bytes, 7u);
}

TEST_F(journal_test, records_survive_close_and_reopen) {
  {
    auto j = open_ok(path());
    ASSERT_TRUE(j.append("edit", "a").ok());
    ASSERT_TRUE(j.append("edit", "b").ok());
    ASSERT_TRUE(j.close().ok());
  }
  auto j = open_ok(path());
  EXPECT_EQ(j.last_seq(), 2);
  EXPECT_EQ(payloads(*j.load()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*j.append("edit", "c"), 3);
}

TEST_F(journal_test, destroying_without_close_keeps_the_records) {
  {
    auto j = open_ok(path());
    ASSERT_TRUE(j.append("edit", "kept").ok());
  }
  auto j = open_ok(path());
  EXPECT_EQ(payloads(*j.load()), std::vector<std::string>{"kept"});
}

// A process that dies right after append() returned (no destructor, no close,
// the WAL not checkpointed): the next open recovers the record from the WAL.
TEST_F(journal_test, a_process_killed_after_append_loses_nothing) {
  auto p = path();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto j = journal::open(p);
    if (!j)
      _exit(2);
    for (int i = 0; i < 5; ++i)
      if (!j->append("edit", "r" + std::to_string(i)))
        _exit(3);
    _exit(0); // no destructors: the database is never closed
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  EXPECT_TRUE(fs::exists(p + "-wal")) << "the child should have left its WAL behind";
  auto j = open_ok(p);
  EXPECT_EQ(payloads(*j.load()), (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(j.last_seq(), 5);
}

/// Runs `body` in a child with the crash failpoint armed on `kind`; returns
/// the child's wait status.
template <class F>
int run_with_crash_failpoint(const char* kind, F body) {
  pid_t child = fork();
  if (child == 0) {
    setenv(fabric::journal::crash_failpoint_env, kind, 1);
    _exit(body());
  }
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  return wstatus;
}

TEST_F(journal_test, the_crash_failpoint_kills_after_a_lone_append_which_stays_committed) {
  auto p = path();
  auto wstatus = run_with_crash_failpoint("second", [&] {
    auto j = journal::open(p);
    if (!j || !j->append("first", "a") || !j->append("second", "b"))
      return 2;
    j->append("third", "c");  // never reached
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the failpoint did not fire";
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  auto j = open_ok(p);
  EXPECT_EQ(payloads(*j.load()), (std::vector<std::string>{"a", "b"}));
}

TEST_F(journal_test, the_crash_failpoint_inside_a_batch_leaves_none_of_the_batch) {
  auto p = path();
  auto wstatus = run_with_crash_failpoint("end_upgrade", [&] {
    auto j = journal::open(p);
    if (!j || !j->append("before", "a"))
      return 2;
    std::vector<fabric::journal::journal::record_view> batch{{"end_upgrade", "x"},
                                                             {"begin_upgrade", "y"}};
    j->append_all(batch);
    return 0;  // never reached
  });
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the failpoint did not fire";
  auto j = open_ok(p);
  EXPECT_EQ(payloads(*j.load()), (std::vector<std::string>{"a"}));
  EXPECT_EQ(j.last_seq(), 1);
}

TEST_F(journal_test, snapshot_compacts_and_load_returns_it_with_later_records) {
  auto j = open_ok(path());
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(j.append("edit", std::to_string(i)).ok());
  ASSERT_TRUE(j.write_snapshot(3, "state@3").ok());
  ASSERT_TRUE(j.append("edit", "6").ok());
  EXPECT_EQ(j.stats().compacted_records, 3u);
  auto check = [](const journal& jj) {
    auto c = jj.load();
    ASSERT_TRUE(c.ok()) << c.err().message;
    ASSERT_TRUE(c->latest_snapshot.has_value());
    EXPECT_EQ(c->latest_snapshot->seq, 3);
    EXPECT_EQ(c->latest_snapshot->payload, "state@3");
    EXPECT_EQ(payloads(*c), (std::vector<std::string>{"4", "5", "6"}));
    EXPECT_EQ(c->records.front().seq, 4);
  };
  check(j);
  ASSERT_TRUE(j.close().ok());
  check(open_ok(path()));
}

TEST_F(journal_test, seqs_are_not_reused_after_compacting_everything) {
  {
    auto j = open_ok(path());
    ASSERT_TRUE(j.append("edit", "a").ok());
    ASSERT_TRUE(j.append("edit", "b").ok());
    ASSERT_TRUE(j.write_snapshot(2, "s2").ok());
  }
  auto j = open_ok(path());
  EXPECT_EQ(j.last_seq(), 2);
  EXPECT_EQ(*j.append("edit", "c"), 3);
  ASSERT_TRUE(j.write_snapshot(3, "s3").ok());
  auto c = j.load();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->latest_snapshot->payload, "s3");
  EXPECT_TRUE(c->records.empty());
}

TEST_F(journal_test, without_compaction_old_records_stay_but_load_starts_after_the_snapshot) {
  journal_options o;
  o.compact_on_snapshot = false;
  auto j = open_ok(path(), o);
  for (int i = 1; i <= 4; ++i)
    ASSERT_TRUE(j.append("edit", std::to_string(i)).ok());
  ASSERT_TRUE(j.write_snapshot(2, "s2").ok());
  EXPECT_EQ(j.stats().compacted_records, 0u);
  EXPECT_EQ(payloads(*j.load()), (std::vector<std::string>{"3", "4"}));
}

TEST_F(journal_test, bad_snapshot_seqs_are_refused) {
  auto j = open_ok(path());
  ASSERT_TRUE(j.append("edit", "a").ok());
  ASSERT_TRUE(j.append("edit", "b").ok());
  auto ahead = j.write_snapshot(3, "x");
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.err().message,
            "journal '" + path() + "': cannot snapshot at seq 3; the last record is seq 2");
  ASSERT_TRUE(j.write_snapshot(2, "s2").ok());
  auto older = j.write_snapshot(1, "x");
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.err().message, "journal '" + path()
                                   + "': cannot snapshot at seq 1; it is older than the latest "
                                     "snapshot (seq 2)");
  EXPECT_EQ(j.stats().failed_writes, 2u);
  EXPECT_EQ(j.load()->latest_snapshot->payload, "s2");
}

TEST_F(journal_test, a_file_that_is_not_a_database_is_a_clear_error) {
  {
    std::ofstream f(path(), std::ios::binary);
    for (int i = 0; i < 200; ++i)
      f << "this is not a database ";
  }
  auto j = journal::open(path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.err().message, "journal '" + path() + "': cannot open: file is not a database");
}

TEST_F(journal_test, a_corrupted_page_is_an_error_not_a_crash) {
  {
    auto j = open_ok(path());
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE(j.append("edit", std::string(100, 'x')).ok());
    ASSERT_TRUE(j.close().ok()); // checkpoints: everything is in the main file
  }
  {
    std::fstream f(path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 + 16); // inside page 2 onwards, past the header of page 1
    std::string junk(3 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto j = journal::open(path());
  std::string message;
  if (!j.ok()) {
    message = j.err().message;
  } else {
    auto c = j->load();
    ASSERT_FALSE(c.ok()) << "the corrupted journal loaded";
    message = c.err().message;
  }
  EXPECT_EQ(message.rfind("journal '" + path() + "': ", 0), 0u) << message;
  EXPECT_NE(message.find("malformed"), std::string::npos) << message;
}

TEST_F(journal_test, an_unreachable_path_is_a_clear_error) {
  auto p = path("missing-dir/j.db");
  auto j = journal::open(p);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.err().message, "journal '" + p + "': cannot open: unable to open database file");
}

TEST_F(journal_test, another_sqlite_database_is_not_a_journal) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE users(name TEXT)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto j = journal::open(path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.err().message,
            "journal '" + path() + "': not a fabric journal (the database has other tables)");
}

TEST_F(journal_test, a_second_opener_of_the_same_file_is_refused) {
  auto first = open_ok(path());
  journal_options o;
  o.busy_timeout_ms = 0;
  auto second = journal::open(path(), o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.err().message.rfind("journal '" + path() + "': cannot open: database is locked", 0),
            0u)
    << second.err().message;
  ASSERT_TRUE(first.append("edit", "still mine").ok());
}

TEST_F(journal_test, ten_thousand_appends_load_in_order) {
  journal_options o;
  o.sync = sync_mode::off; // this test is about volume, not fsync
  {
    auto j = open_ok(path(), o);
    for (int i = 1; i <= 10000; ++i) {
      auto seq = j.append("edit", "payload " + std::to_string(i));
      ASSERT_TRUE(seq.ok());
      ASSERT_EQ(*seq, i);
    }
  }
  auto j = open_ok(path(), o);
  auto c = j.load();
  ASSERT_TRUE(c.ok()) << c.err().message;
  ASSERT_EQ(c->records.size(), 10000u);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(c->records[static_cast<size_t>(i)].seq, i + 1);
    ASSERT_EQ(c->records[static_cast<size_t>(i)].payload, "payload " + std::to_string(i + 1));
  }
}

TEST_F(journal_test, the_latency_observer_sees_every_operation) {
  auto j = open_ok(path());
  std::vector<std::string> ops;
  j.set_latency_observer([&ops](std::string_view op, std::chrono::nanoseconds d) {
    EXPECT_GE(d.count(), 0);
    ops.emplace_back(op);
  });
  ASSERT_TRUE(j.append("edit", "a").ok());
  ASSERT_TRUE(j.write_snapshot(1, "s").ok());
  ASSERT_TRUE(j.load().ok());
  EXPECT_EQ(ops, (std::vector<std::string>{"append", "snapshot", "load"}));
  EXPECT_EQ(j.stats().snapshots, 1u);
}

TEST_F(journal_test, a_closed_journal_refuses_writes) {
  auto j = open_ok(path());
  ASSERT_TRUE(j.close().ok());
  auto r = j.append("edit", "late");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "journal '" + path() + "': append on a closed journal");
}
