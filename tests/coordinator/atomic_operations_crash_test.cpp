// Every operation is atomic in the journal, shown on real processes: the
// coordinator is killed (SIGKILL, by the journal's crash failpoint
// FABRIC_JOURNAL_CRASH_AFTER, coordinator/journal/journal.hpp) right after it
// wrote the first edit of each operation that used to commit several edits
// one after another, then restarted on its data dir without the failpoint.
// After the restart each operation happened completely or not at all:
//   redeploy          delete_deployment + create_deployment
//   upgrade + cscfg   set_configuration + begin_upgrade
//   rollback          end_upgrade + begin_upgrade (the rollback)
// and the cluster still works (the operation can be run again and completes).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "coordinator/journal/journal.hpp"
#include "tests/coordinator/ten_web_cluster.hpp"

namespace fabric {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::wait_until;

struct crash_cluster : testing::ten_web_cluster {
  crash_cluster() : ten_web_cluster("fabric-crash-it") {}
  ~crash_cluster() override { ::unsetenv(journal::crash_failpoint_env); }

  /// Restarts the coordinator armed to die right after it journals an edit
  /// of kind `kind`.
  void arm_crash_after(const std::string& kind) {
    coordinator.kill_and_wait();
    ::setenv(journal::crash_failpoint_env, kind.c_str(), 1);
    start_coordinator();
    ::unsetenv(journal::crash_failpoint_env);  // later children start clean
    ASSERT_TRUE(wait_until([&] { return nodes_up(3); }, 30s));
  }

  /// Sends `method path body`, expects the coordinator to die of the
  /// failpoint, then restarts it on its data dir (failpoint off) and waits
  /// for the nodes to re-register.
  void crash_on(const std::string& method, const std::string& path, const std::string& body) {
    auto [status, answer] = call(method, path, body);  // may never come: the process dies
    auto st = coordinator.wait(30s);
    ASSERT_TRUE(st.has_value()) << "the coordinator did not die at the failpoint (it answered "
                                << status << " " << answer.dump() << "); see " << dir
                                << "/coordinator.log";
    ASSERT_TRUE(WIFSIGNALED(*st) && WTERMSIG(*st) == SIGKILL)
      << "the coordinator ended otherwise than by the failpoint's SIGKILL";
    start_coordinator();
    ASSERT_TRUE(wait_until([&] { return nodes_up(3); }, 30s));
  }
};

TEST_F(crash_cluster, a_redeploy_cut_after_its_delete_is_all_or_nothing) {
  deployed();
  if (HasFatalFailure())
    return;
  auto before = deployment();
  arm_crash_after("delete_deployment");
  crash_on("POST", where + "/redeploy", R"({"image": "v2"})");
  if (HasFatalFailure())
    return;
  auto after = deployment();
  ASSERT_TRUE(after.contains("instances"))
    << "the deployment is gone: the restart replayed a redeploy's delete without its deploy: "
    << after.dump();
  // Either the old deployment (nothing happened) or the new one (all of it).
  bool old = after["image_digest"] == before["image_digest"] && after["version"] == "v1";
  bool whole = after["version"] == "v2";
  EXPECT_TRUE(old || whole) << after.dump(1);
  EXPECT_EQ(after["instances"].size(), 10u);
  // And the cluster works: the deployment settles on one version.
  auto version = after["version"].get<std::string>();
  EXPECT_TRUE(wait_until([&] { return all_on(version); }, 90s)) << deployment().dump(1);
}

TEST_F(crash_cluster, an_upgrade_with_a_new_configuration_cut_after_it_is_all_or_nothing) {
  deployed();
  if (HasFatalFailure())
    return;
  std::string cfg = testing::slurp(cscfg);
  auto at = cfg.find("value=\"hello\"");
  ASSERT_NE(at, std::string::npos);
  cfg.replace(at, std::string("value=\"hello\"").size(), "value=\"bonjour\"");
  nlohmann::json body{{"image", "v2"}, {"cscfg", cfg}, {"mode", "manual"}};
  arm_crash_after("set_configuration");
  crash_on("POST", where + "/upgrade", body.dump());
  if (HasFatalFailure())
    return;
  auto [status, conf] = call("GET", where + "/configuration");
  ASSERT_EQ(status, 200) << conf.dump();
  bool new_settings = conf.dump().find("bonjour") != std::string::npos;
  auto d = deployment();
  bool upgrading = d["upgrade"].is_object();
  EXPECT_EQ(new_settings, upgrading)
    << "after the restart the configuration is " << (new_settings ? "new" : "old")
    << " but an upgrade is " << (upgrading ? "" : "not ") << "in flight: half an operation\n"
    << d.dump(1);
  // The cluster works: the upgrade (or a new one) walks to the end.
  std::string out;
  if (!upgrading) {
    ASSERT_EQ(call("POST", where + "/upgrade", body.dump()).first, 202);
  }
  ASSERT_EQ(ctl({"walk", "--service", "tw", "--slot", "production", "--upgrade-domain", "0",
                 "--wait", "--wait-timeout", "60"},
                &out),
            0)
    << out;
}

TEST_F(crash_cluster, a_rollback_cut_after_its_end_of_the_walk_is_all_or_nothing) {
  deployed();
  if (HasFatalFailure())
    return;
  std::string out;
  ASSERT_EQ(ctl({"upgrade", "--service", "tw", "--slot", "production", "--image", "v2",
                 "--mode", "manual", "--wait"},
                &out),
            0)
    << out;
  ASSERT_EQ(ctl({"walk", "--service", "tw", "--slot", "production", "--upgrade-domain", "0",
                 "--wait", "--wait-timeout", "60"},
                &out),
            0)
    << out;
  arm_crash_after("end_upgrade");
  crash_on("POST", where + "/rollback", R"({"mode": "auto"})");
  if (HasFatalFailure())
    return;
  auto d = deployment();
  ASSERT_TRUE(d["upgrade"].is_object())
    << "no upgrade in flight after the restart: the walk was ended without its rollback "
       "(UD 0 is left on v2, the rest on v1)\n"
    << d.dump(1);
  auto& u = d["upgrade"];
  bool forward = u["rolling_back"] == false && u["target_version"] == "v2";
  bool back = u["rolling_back"] == true && u["target_version"] == "v1";
  EXPECT_TRUE(forward || back) << u.dump(1);
  // The cluster works: roll back (again, when the first one did not land)
  // and reach v1 everywhere.
  if (forward) {
    ASSERT_EQ(call("POST", where + "/rollback", R"({"mode": "auto"})").first, 202);
  }
  EXPECT_TRUE(wait_until([&] { return all_on("v1"); }, 90s)) << deployment().dump(1);
}

} // namespace
} // namespace fabric
