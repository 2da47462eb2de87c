// In-place rolling upgrades on real processes over loopback: fabric-coordinator,
// three fabric-node processes (one per fault domain) and fabricctl, with the
// 10-instance, 5-UD role of tests/data/models/ten-web.*. What the API shows
// while a walk runs must match the planner's rules (one UD down at a time,
// current UD and Before/During consistent with the walked UDs, versions move
// UD by UD); a Manual walk refuses an out-of-order UD; a rollback returns
// only the upgraded instances; a change not allowed in place is refused; a
// coordinator kill -9 in the middle of an Auto walk resumes and completes.
// Waits are bounded polls.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/coordinator/ten_web_cluster.hpp"

namespace fabric {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::child_process;
using testing::slurp;
using testing::wait_until;

struct upgrade_cluster : testing::ten_web_cluster {
  upgrade_cluster() : ten_web_cluster("fabric-upgrade-it") {}

  std::vector<std::string> with_url(std::vector<std::string> args) {
    args.insert(args.begin(), {"--coordinator", url});
    return args;
  }

  /// Checks one GET deployment against the walk rules; returns the reason
  /// when it breaks one, empty otherwise.
  static std::string check_walk_rules(const nlohmann::json& d, const std::string& from,
                                      const std::string& to) {
    std::set<int> down;
    std::map<int, std::set<std::string>> versions;
    for (auto& i : d["instances"]) {
      int ud = i["upgrade_domain"];
      if (i["state"] != "ReadyRole")
        down.insert(ud);
      versions[ud].insert(i["version"].get<std::string>());
    }
    if (down.size() > 1)
      return "instances of " + std::to_string(down.size()) + " UDs are down at once";
    auto& u = d["upgrade"];
    if (!u.is_object())
      return "";
    std::set<int> walked;
    for (auto& w : u["walked"])
      walked.insert(w.get<int>());
    int cur = u["current_upgrade_domain"];
    if (!down.empty() && *down.begin() != cur)
      return "UD " + std::to_string(*down.begin()) + " is down but the current UD is "
             + std::to_string(cur);
    if (!down.empty() && u["current_state"] != "During")
      return "an instance is down while the current UD is Before";
    for (int ud = 0; ud < 5; ++ud) {
      if (walked.count(ud) && versions[ud] != std::set<std::string>{to})
        return "walked UD " + std::to_string(ud) + " is not all on " + to;
      if (!walked.count(ud) && ud != cur && versions[ud] != std::set<std::string>{from})
        return "UD " + std::to_string(ud) + " changed before its turn";
    }
    return "";
  }

  /// Marker files on each instance's OS disk (an upgrade resets that layer).
  void put_markers() {
    auto dep = deployment();  // named: the loop reads into it
    for (auto& i : dep["instances"]) {
      auto ep = i["endpoint"].get<std::string>();
      auto colon = ep.rfind(':');
      httplib::Client c(ep.substr(0, colon), std::stoi(ep.substr(colon + 1)));
      auto r = c.Put("/disk/os/marker.txt", i["name"].get<std::string>(), "text/plain");
      ASSERT_TRUE(r && r->status < 300) << ep << " " << (r ? r->body : "no answer");
    }
  }

  std::map<std::string, bool> markers() {
    std::map<std::string, bool> out;
    auto dep = deployment();  // named: the loop reads into it
    for (auto& i : dep["instances"]) {
      auto ep = i["endpoint"].get<std::string>();
      auto colon = ep.rfind(':');
      httplib::Client c(ep.substr(0, colon), std::stoi(ep.substr(colon + 1)));
      auto r = c.Get("/disk/os/marker.txt");
      out[i["name"]] = r && r->status == 200 && r->body == i["name"].get<std::string>();
    }
    return out;
  }
};

TEST_F(upgrade_cluster, auto_and_manual_walks_follow_the_planner_rollback_and_refusals) {
  deployed();
  if (HasFatalFailure())
    return;

  // A change not allowed in place: refused with the reason, nothing changes.
  auto before = deployment();
  auto uds3 = std::regex_replace(slurp(csdef), std::regex("upgradeDomainCount=\"5\""),
                                 "upgradeDomainCount=\"3\"");
  std::ofstream(dir + "/uds3.csdef") << uds3;
  std::string out;
  EXPECT_EQ(ctl({"upgrade", "--service", "tw", "--slot", "production", "--image", "v2",
                 "--csdef", dir + "/uds3.csdef"},
                &out),
            1);
  EXPECT_NE(out.find("upgrade_domain_count_changed"), std::string::npos) << out;
  EXPECT_NE(out.find("not allowed in an in-place upgrade"), std::string::npos) << out;
  EXPECT_EQ(deployment(), before);

  // Auto walk with live progress; every poll obeys the walk rules.
  auto log = dir + "/auto.out";
  auto cli = child_process::spawn(
    bin_dir + "/fabricctl",
    with_url({"upgrade", "--service", "tw", "--slot", "production", "--image", "v2", "--mode",
              "auto", "--wait", "--wait-timeout", "60"}),
    log);
  std::set<int> seen_current;
  int polls = 0;
  while (cli.running()) {
    auto d = deployment();
    if (d.contains("instances")) {
      ++polls;
      auto broken = check_walk_rules(d, "v1", "v2");
      ASSERT_EQ(broken, "") << d.dump(1);
      if (d["upgrade"].is_object())
        seen_current.insert(d["upgrade"]["current_upgrade_domain"].get<int>());
    }
    std::this_thread::sleep_for(5ms);
  }
  auto st = cli.wait(1s);
  ASSERT_TRUE(st && WIFEXITED(*st));
  auto progress = slurp(log);
  EXPECT_EQ(WEXITSTATUS(*st), 0) << progress;
  for (int ud = 0; ud < 5; ++ud)
    EXPECT_NE(progress.find("UD " + std::to_string(ud) + ": walked (2/2 ReadyRole on v2)"),
              std::string::npos)
      << progress;
  EXPECT_NE(progress.find("10/10 ReadyRole"), std::string::npos) << progress;
  EXPECT_GT(polls, 5);
  EXPECT_GE(seen_current.size(), 2u);
  EXPECT_TRUE(all_on("v2")) << deployment().dump(1);
  EXPECT_EQ(deployment()["version"], "v2");

  // Manual walk to "v3" (image v1 under a new label); markers first.
  put_markers();
  for (auto& [name, present] : markers())
    ASSERT_TRUE(present) << name;
  ASSERT_EQ(ctl({"upgrade", "--service", "tw", "--slot", "production", "--image", "v1",
                 "--version", "v3", "--mode", "manual", "--wait"},
                &out),
            0)
    << out;
  EXPECT_NE(out.find("UD 0 awaits its walk"), std::string::npos) << out;
  for (auto& [name, present] : markers())
    EXPECT_TRUE(present) << "after the manual upgrade started: " << name;
  auto paused = deployment();
  EXPECT_EQ(paused["upgrade"]["mode"], "Manual");
  EXPECT_EQ(paused["upgrade"]["current_upgrade_domain"], 0);
  EXPECT_EQ(paused["upgrade"]["current_state"], "Before");
  EXPECT_EQ(ctl({"walk", "--service", "tw", "--slot", "production", "--upgrade-domain", "2"},
                &out),
            1);
  EXPECT_NE(out.find("UD 2 is out of order: the next UD to walk is 0"), std::string::npos)
    << out;
  auto missing = post("/fabric/v1/services/tw/deployments/production/walk",
                      R"({"upgrade_domain": 9})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_NE(missing->body.find("UD 9 does not exist"), std::string::npos) << missing->body;
  std::this_thread::sleep_for(100ms);  // nothing may move in the meantime
  EXPECT_EQ(deployment(), paused);

  for (int ud : {0, 1}) {
    ASSERT_EQ(ctl({"walk", "--service", "tw", "--slot", "production", "--upgrade-domain",
                   std::to_string(ud), "--wait", "--wait-timeout", "60"},
                  &out),
              0)
      << out;
    // A walked UD's instances got a fresh OS layer from the new base; the
    // UDs not walked yet kept theirs.
    auto d = deployment();
    auto m = markers();
    for (auto& i : d["instances"])
      EXPECT_EQ(m[i["name"]], i["upgrade_domain"].get<int>() > ud)
        << "after walk " << ud << ": " << i.dump();
    EXPECT_EQ(check_walk_rules(d, "v2", "v3"), "") << d.dump(1);
    EXPECT_EQ(d["upgrade"]["current_upgrade_domain"], ud + 1);
    EXPECT_EQ(d["upgrade"]["current_state"], "Before");
  }
  auto again = post("/fabric/v1/services/tw/deployments/production/walk",
                    R"({"upgrade_domain": 0})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_NE(again->body.find("UD 0 was already walked"), std::string::npos) << again->body;

  // Rollback in the middle of the walk: UDs 0 and 1 go back to v2, the
  // others were never touched (their OS-disk markers are still there).
  ASSERT_EQ(ctl({"rollback", "--service", "tw", "--slot", "production", "--mode", "auto",
                 "--wait", "--wait-timeout", "60"},
                &out),
            0)
    << out;
  ASSERT_TRUE(wait_until([&] { return all_on("v2"); }, 20s)) << deployment().dump(1);
  auto d = deployment();
  EXPECT_EQ(d["version"], "v2");
  auto m = markers();
  for (auto& i : d["instances"]) {
    int ud = i["upgrade_domain"];
    EXPECT_EQ(m[i["name"]], ud >= 2) << i.dump();
  }
}

TEST_F(upgrade_cluster, coordinator_kill_9_in_the_middle_of_an_auto_walk_resumes_it) {
  deployed();
  if (HasFatalFailure())
    return;
  auto r = post("/fabric/v1/services/tw/deployments/production/upgrade",
                R"({"image": "v2", "mode": "auto", "domain_wait_ms": 700})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  ASSERT_TRUE(wait_until(
    [&] {
      auto u = deployment()["upgrade"];
      return u.is_object() && u["walked"].size() >= 2;
    },
    20s))
    << deployment().dump(1);
  auto walked_before = deployment()["upgrade"]["walked"].size();
  ASSERT_LT(walked_before, 5u);
  coordinator.kill_and_wait();
  start_coordinator();
  if (HasFatalFailure())
    return;
  // The walk state came back from the journal.
  auto u = deployment()["upgrade"];
  ASSERT_TRUE(u.is_object()) << deployment().dump(1);
  EXPECT_GE(u["walked"].size(), walked_before);
  EXPECT_EQ(u["target_version"], "v2");
  ASSERT_TRUE(wait_until([&] { return all_on("v2"); }, 60s)) << deployment().dump(1);
  EXPECT_EQ(deployment()["version"], "v2");
  std::string v2_digest;
  auto images = get("/fabric/v1/images");  // named: the loop reads into it
  for (auto& img : images["images"])
    if (img["name"] == "v2")
      v2_digest = img["digest"];
  EXPECT_EQ(deployment()["image_digest"], v2_digest);
}

} // namespace
} // namespace fabric
