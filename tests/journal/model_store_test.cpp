#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "coordinator/journal/model_store.hpp"
#include "model_json/model_json.hpp"
#include "tests/model_json/sample_model.hpp"

using fabric::journal::journal;
using fabric::journal::model_store;
using fabric::journal::model_store_options;
using namespace fabric::model;

namespace fs = std::filesystem;

namespace {

class model_store_test : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fabric-model-store-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string data_dir() const { return dir_ + "/data"; }

  model_store open_ok(model_store_options o = {}) const {
    o.journal.sync = fabric::journal::sync_mode::off; // durability is the journal tests' job
    auto s = model_store::open(data_dir(), o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
    return std::move(*s);
  }

  std::string dir_;
};

nlohmann::json as_json(const fabric_model& m) {
  return fabric::model_json::model_to_json(m);
}

} // namespace

TEST_F(model_store_test, committed_edits_survive_a_reopen) {
  nlohmann::json expected;
  {
    auto store = open_ok();
    EXPECT_TRUE(fs::exists(data_dir())) << "open creates the data directory";
    for (const auto& e : fabric::test::sample_edits()) {
      auto st = store.commit(e);
      ASSERT_TRUE(st.ok()) << edit_name(e) << ": " << st.err().message;
    }
    expected = as_json(store.model());
    EXPECT_EQ(store.model().revision, static_cast<long long>(fabric::test::sample_edits().size()));
  }
  auto store = open_ok();
  EXPECT_EQ(store.replayed_on_open(), static_cast<std::int64_t>(fabric::test::sample_edits().size()));
  EXPECT_EQ(as_json(store.model()), expected);
  // the last edits deleted the staging deployment and swapped d1 into staging
  const auto& shop = store.model().services.at("shop");
  EXPECT_FALSE(shop.production.has_value());
  ASSERT_TRUE(shop.staging.has_value());
  EXPECT_EQ(shop.staging->name, "d1");
}

// commit_all: one transaction for many edits, replayed like single commits;
// all or nothing when one edit is refused or the journal write fails.
TEST_F(model_store_test, commit_all_is_one_durable_batch_and_all_or_nothing) {
  const auto edits = fabric::test::sample_edits();
  ASSERT_GE(edits.size(), 4u);
  nlohmann::json expected;
  {
    auto store = open_ok();
    std::vector<model_edit> first(edits.begin(), edits.begin() + 2);
    std::vector<model_edit> rest(edits.begin() + 2, edits.end());
    ASSERT_TRUE(store.commit_all(first).ok());
    auto st = store.commit_all(rest);
    ASSERT_TRUE(st.ok()) << st.err().message;
    EXPECT_EQ(store.journal_ref().last_seq(), static_cast<std::int64_t>(edits.size()));
    expected = as_json(store.model());

    // A batch whose last edit is refused: nothing of it is applied or journaled.
    auto before = as_json(store.model());
    std::vector<model_edit> bad{create_hosted_service{"fresh", "", "", ""},
                                set_instance_state{"nosuch", slot::production, "Web_IN_0",
                                                   instance_state::ready_role}};
    EXPECT_FALSE(store.commit_all(bad).ok());
    EXPECT_EQ(as_json(store.model()), before);
    EXPECT_EQ(store.journal_ref().last_seq(), static_cast<std::int64_t>(edits.size()));
    EXPECT_TRUE(store.commit_all({}).ok());
    EXPECT_EQ(as_json(store.model()), before);
  }
  auto store = open_ok();
  EXPECT_EQ(as_json(store.model()), expected);
  EXPECT_EQ(store.replayed_on_open(), static_cast<std::int64_t>(edits.size()));

  // A failed journal write: nothing changes.
  auto before = as_json(store.model());
  ASSERT_TRUE(store.journal_ref().close().ok());
  std::vector<model_edit> two{create_hosted_service{"a", "", "", ""},
                              create_hosted_service{"b", "", "", ""}};
  EXPECT_FALSE(store.commit_all(two).ok());
  EXPECT_EQ(as_json(store.model()), before);
}

TEST_F(model_store_test, a_refused_edit_changes_neither_model_nor_journal) {
  auto store = open_ok();
  ASSERT_TRUE(store.commit(create_hosted_service{"shop", "", "", ""}).ok());
  auto before = as_json(store.model());
  auto seq = store.journal_ref().last_seq();
  auto st = store.commit(set_instance_state{"shop", slot::production, "Web_IN_0",
                                            instance_state::ready_role});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message, "there is no deployment in the production slot of hosted service 'shop'");
  EXPECT_EQ(as_json(store.model()), before);
  EXPECT_EQ(store.journal_ref().last_seq(), seq);
  EXPECT_EQ(store.journal_ref().stats().appends, 1u);
}

TEST_F(model_store_test, a_failed_journal_write_changes_nothing) {
  auto store = open_ok();
  ASSERT_TRUE(store.commit(create_hosted_service{"shop", "", "", ""}).ok());
  auto before = as_json(store.model());
  ASSERT_TRUE(store.journal_ref().close().ok());
  auto st = store.commit(create_hosted_service{"other", "", "", ""});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message,
            "journal '" + data_dir() + "/journal.db': append on a closed journal");
  EXPECT_EQ(as_json(store.model()), before);
}

TEST_F(model_store_test, snapshots_then_more_edits_reopen_to_the_same_model) {
  model_store_options o;
  o.snapshot_every = 5;
  o.snapshot_scales_with_model = false;
  auto edits = fabric::test::sample_edits(); // 17 edits: snapshots after 5, 10 and 15
  nlohmann::json expected;
  {
    auto store = open_ok(o);
    for (const auto& e : edits)
      ASSERT_TRUE(store.commit(e).ok()) << edit_name(e);
    EXPECT_EQ(store.journal_ref().stats().snapshots, 3u);
    EXPECT_EQ(store.journal_ref().stats().compacted_records, 15u);
    EXPECT_EQ(store.commits_since_snapshot(), 2);
    expected = as_json(store.model());
  }
  {
    auto store = open_ok(o);
    EXPECT_EQ(store.replayed_on_open(), 2);
    EXPECT_EQ(as_json(store.model()), expected);
    // a manual snapshot, then one more edit
    ASSERT_TRUE(store.snapshot().ok());
    ASSERT_TRUE(store.commit(set_deployment_status{"shop", slot::staging,
                                                   deployment_status::suspended})
                  .ok());
    expected = as_json(store.model());
  }
  auto store = open_ok(o);
  EXPECT_EQ(store.replayed_on_open(), 1);
  EXPECT_EQ(as_json(store.model()), expected);
  EXPECT_EQ(store.model().revision, static_cast<long long>(edits.size() + 1));
}

TEST_F(model_store_test, snapshots_scale_with_the_model_so_a_large_one_is_not_rewritten_often) {
  model_store_options o;
  o.snapshot_every = 5;  // scales with the model (the default)
  auto edits = fabric::test::sample_edits();
  auto store = open_ok(o);
  std::int64_t instances = 0;
  std::uint64_t snapshots = 0;
  for (const auto& e : edits) {
    ASSERT_TRUE(store.commit(e).ok()) << edit_name(e);
    instances = 0;
    for (auto& [name, svc] : store.model().services)
      for (auto s : {slot::production, slot::staging})
        if (auto& d = svc.in(s))
          instances += static_cast<std::int64_t>(d->instances.size());
    auto now = store.journal_ref().stats().snapshots;
    if (now > snapshots) {  // a snapshot: due by both rules
      EXPECT_EQ(store.commits_since_snapshot(), 0);
      snapshots = now;
    } else {
      EXPECT_TRUE(store.commits_since_snapshot() < 5 || store.commits_since_snapshot() < instances)
        << "a snapshot was due after " << store.commits_since_snapshot() << " edits with "
        << instances << " instances";
    }
  }
  ASSERT_GT(instances, 5) << "the sample model must outgrow snapshot_every for this test";
  EXPECT_LT(snapshots, 3u) << "not scaled: as many snapshots as every 5 edits";
  EXPECT_GE(snapshots, 1u);
}

TEST_F(model_store_test, a_journaled_edit_that_no_longer_applies_is_a_clear_error) {
  fs::create_directories(data_dir());
  {
    auto j = journal::open(data_dir() + "/journal.db");
    ASSERT_TRUE(j.ok()) << j.err().message;
    ASSERT_TRUE(j->append("swap_slots", R"({"kind":"swap_slots","service":"ghost"})").ok());
  }
  auto s = model_store::open(data_dir());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().message, "journal '" + data_dir()
                               + "/journal.db': record 1 (swap_slots) does not apply: hosted "
                                 "service 'ghost' does not exist");
}

TEST_F(model_store_test, an_undecodable_record_is_a_clear_error) {
  fs::create_directories(data_dir());
  {
    auto j = journal::open(data_dir() + "/journal.db");
    ASSERT_TRUE(j.ok()) << j.err().message;
    ASSERT_TRUE(j->append("create_hosted_service",
                          R"({"kind":"create_hosted_service","name":"a"})").ok());
    ASSERT_TRUE(j->append("set_instance_state",
                          R"({"kind":"set_instance_state","state":"Up"})").ok());
  }
  auto s = model_store::open(data_dir());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().message.rfind("journal '" + data_dir()
                                    + "/journal.db': record 2 (set_instance_state) does not "
                                      "decode: set_instance_state.state: unknown instance state "
                                      "'Up'",
                                  0),
            0u)
    << s.err().message;
}

TEST_F(model_store_test, a_data_dir_that_cannot_be_created_is_a_clear_error) {
  {
    std::ofstream f(dir_ + "/file");
    f << "x";
  }
  auto s = model_store::open(dir_ + "/file/data");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().message.rfind("model store: cannot create the data directory '" + dir_
                                    + "/file/data': ",
                                  0),
            0u)
    << s.err().message;
}
