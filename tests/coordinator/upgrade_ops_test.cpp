// In-place upgrades driven through the controller (upgrade_plans.cpp, upgrade_engine.hpp) with the
// in-memory model port: the commands queued at each tick are the fake
// transport, and the test plays the nodes (command results and reports).
// Time is an argument of on_tick: no sleeps.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "coordinator/upgrade_engine.hpp"
#include "tests/coordinator/test_model.hpp"

namespace fabric::coordinator {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using protocol::command_kind;
using clock_type = std::chrono::steady_clock;

using testing::read_file;

/// UD of instance Web_IN_i in ten-web (i mod 5).
int ud_of(const std::string& wire) {
  return std::stoi(wire.substr(wire.rfind('_') + 1)) % 5;
}

struct upgrade_test : testing::controller_fixture {
  std::string csdef = read_file(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef");
  std::string cscfg = read_file(std::string(FABRIC_TEST_DATA) + "/models/ten-web.cscfg");
  clock_type::time_point now = clock_type::time_point{} + 1h;

  void SetUp() override {
    start({}, {"v1", "v2"});
    for (int n = 0; n < 3; ++n)
      up("n" + std::to_string(n), n);
    ASSERT_EQ(create_service().status, 201);
    nlohmann::json body{{"csdef", csdef}, {"cscfg", cscfg}, {"image", "v1"}, {"name", "tw"}};
    auto res = start_op("deploy", body.dump());
    ASSERT_EQ(res.status, 202) << res.body.dump();
    run(ctl->take_outbound());
    ASSERT_EQ(op_status(res), "Succeeded");
  }

  /// The nodes accept every command and report the instance ReadyRole on the
  /// spec's version.
  void run(const std::vector<outbound_command>& cmds) {
    for (auto& c : cmds) {
      ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
      ctl->on_report(c.peer, {c.command.instance.name, "ReadyRole", c.command.instance.version,
                              "127.0.0.1:1"});
    }
  }

  /// Only the command results; the instances go down (StoppingRole, new version).
  void accept(const std::vector<outbound_command>& cmds) {
    for (auto& c : cmds) {
      ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
      ctl->on_report(c.peer, {c.command.instance.name, "StoppingRole", c.command.instance.version,
                              ""});
    }
  }

  std::vector<outbound_command> tick(std::chrono::milliseconds dt = 1ms) {
    now += dt;
    ctl->on_tick(now);
    return ctl->take_outbound();
  }

  api_result op(const std::string& kind, const nlohmann::json& body) {
    return start_op(kind, body.dump());
  }

  /// The UDs the commands touch.
  static std::set<int> uds(const std::vector<outbound_command>& cmds) {
    std::set<int> out;
    for (auto& c : cmds)
      out.insert(ud_of(c.command.instance.name));
    return out;
  }
};

TEST_F(upgrade_test, auto_walk_goes_ud_by_ud_with_the_new_image_and_completes) {
  auto res = op("upgrade", {{"image", "v2"}, {"mode", "auto"}});
  ASSERT_EQ(res.status, 202) << res.body.dump();
  EXPECT_EQ(res.body["target_version"], "v2");
  for (int ud = 0; ud < 5; ++ud) {
    auto cmds = tick();
    ASSERT_EQ(cmds.size(), 2u) << "UD " << ud;
    EXPECT_EQ(uds(cmds), std::set<int>{ud});
    for (auto& c : cmds) {
      EXPECT_EQ(c.command.kind, command_kind::upgrade);
      EXPECT_EQ(c.command.instance.version, "v2");
      EXPECT_EQ(c.command.instance.image_digest, *images.resolve("v2"));
    }
    auto u = deployment()["upgrade"];
    ASSERT_TRUE(u.is_object());
    EXPECT_EQ(u["mode"], "Auto");
    EXPECT_EQ(u["current_upgrade_domain"], ud);
    EXPECT_EQ(u["current_state"], "During");
    EXPECT_EQ(u["walked"].size(), static_cast<size_t>(ud));
    EXPECT_EQ(u["domains"][ud]["phase"], "During");
    // A tick before the nodes answered sends nothing twice.
    EXPECT_TRUE(tick().empty());
    accept(cmds);
    EXPECT_TRUE(tick().empty());
    EXPECT_EQ(deployment()["upgrade"]["current_upgrade_domain"], ud);
    run(cmds);
    EXPECT_EQ(op_status(res), "InProgress");
  }
  EXPECT_TRUE(tick().empty());
  auto d = deployment();
  EXPECT_TRUE(d["upgrade"].is_null());
  EXPECT_EQ(d["version"], "v2");
  EXPECT_EQ(d["image_digest"], *images.resolve("v2"));
  for (auto& i : d["instances"])
    EXPECT_EQ(i["version"], "v2");
  EXPECT_EQ(op_status(res), "Succeeded");
}

TEST_F(upgrade_test, manual_walk_refuses_out_of_order_missing_and_walked_uds) {
  ASSERT_EQ(op("upgrade", {{"image", "v2"}, {"mode", "manual"}}).status, 202);
  EXPECT_TRUE(tick().empty());
  auto u = deployment()["upgrade"];
  EXPECT_EQ(u["mode"], "Manual");
  EXPECT_EQ(u["current_state"], "Before");
  auto before = deployment();

  auto ooo = op("walk", {{"upgrade_domain", 2}});
  EXPECT_EQ(ooo.status, 409);
  EXPECT_EQ(ooo.body["error"]["message"], "UD 2 is out of order: the next UD to walk is 0");
  auto missing = op("walk", {{"upgrade_domain", 7}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("UD 7 does not exist"),
            std::string::npos);
  auto bad = op("walk", {{"upgrade_domain", "one"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["message"], "missing integer member 'upgrade_domain'");
  EXPECT_TRUE(tick().empty());
  EXPECT_EQ(deployment(), before);

  auto w0 = op("walk", {{"upgrade_domain", 0}});
  ASSERT_EQ(w0.status, 202) << w0.body.dump();
  auto cmds = tick();
  EXPECT_EQ(uds(cmds), std::set<int>{0});
  EXPECT_EQ(cmds.size(), 2u);
  EXPECT_EQ(op("walk", {{"upgrade_domain", 1}}).body["error"]["message"],
            "UD 0 is still being walked; walk UD 1 after it is done");
  run(cmds);
  EXPECT_TRUE(tick().empty());
  EXPECT_EQ(op_status(w0), "Succeeded");
  u = deployment()["upgrade"];
  EXPECT_EQ(u["current_upgrade_domain"], 1);
  EXPECT_EQ(u["current_state"], "Before");
  EXPECT_EQ(u["walked"], nlohmann::json::array({0}));
  auto again = op("walk", {{"upgrade_domain", 0}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body["error"]["message"], "UD 0 was already walked");
  for (int ud = 1; ud < 5; ++ud) {
    ASSERT_EQ(op("walk", {{"upgrade_domain", ud}}).status, 202);
    cmds = tick();
    EXPECT_EQ(uds(cmds), std::set<int>{ud});
    run(cmds);
    EXPECT_TRUE(tick().empty());  // UD walked, the next one Before
  }
  EXPECT_EQ(deployment()["version"], "v2");
  EXPECT_TRUE(deployment()["upgrade"].is_null());
}

TEST_F(upgrade_test, rollback_returns_the_upgraded_instances_and_leaves_the_others_alone) {
  auto res = op("upgrade", {{"image", "v2"}});
  ASSERT_EQ(res.status, 202);
  run(tick());  // UD 0 upgraded
  auto ud1 = tick();
  EXPECT_EQ(uds(ud1), std::set<int>{1});
  accept(ud1);  // UD 1 going down on v2

  auto rb = op("rollback", nlohmann::json::object());
  ASSERT_EQ(rb.status, 202) << rb.body.dump();
  EXPECT_EQ(rb.body["order"], nlohmann::json::array({1, 0}));
  EXPECT_EQ(op_status(res), "Failed");
  EXPECT_EQ(json_api::get_operation(*ctl, res.body["operation_id"]).body["error"]["message"],
            "rolled back by " + rb.body["operation_id"].get<std::string>());
  EXPECT_TRUE(deployment()["upgrade"]["rolling_back"].get<bool>());

  std::set<std::string> touched;
  for (int step = 0; step < 2; ++step) {
    auto cmds = tick();
    for (auto& c : cmds) {
      touched.insert(c.command.instance.name);
      EXPECT_EQ(c.command.kind, command_kind::upgrade);
      EXPECT_EQ(c.command.instance.version, "v1");
      EXPECT_EQ(c.command.instance.image_digest, *images.resolve("v1"));
    }
    EXPECT_EQ(uds(cmds), std::set<int>{step == 0 ? 1 : 0});
    run(cmds);
  }
  EXPECT_EQ(touched, (std::set<std::string>{"tw.Web_IN_0", "tw.Web_IN_5", "tw.Web_IN_1",
                                            "tw.Web_IN_6"}));
  EXPECT_TRUE(tick().empty());
  auto d = deployment();
  EXPECT_TRUE(d["upgrade"].is_null());
  EXPECT_EQ(d["version"], "v1");
  for (auto& i : d["instances"])
    EXPECT_EQ(i["version"], "v1");
  EXPECT_EQ(op_status(rb), "Succeeded");
  // Nothing left to roll back.
  auto none = op("rollback", nlohmann::json::object());
  EXPECT_EQ(none.status, 409);
  EXPECT_EQ(none.body["error"]["message"], "no upgrade is in progress to roll back");
}

TEST_F(upgrade_test, changes_not_allowed_in_place_are_refused_with_the_reason) {
  auto before = deployment();
  auto uds3 = std::regex_replace(csdef, std::regex("upgradeDomainCount=\"5\""),
                                 "upgradeDomainCount=\"3\"");
  auto r = op("upgrade", {{"image", "v2"}, {"csdef", uds3}});
  EXPECT_EQ(r.status, 400);
  auto msg = r.body["error"]["message"].get<std::string>();
  EXPECT_NE(msg.find("not allowed in an in-place upgrade"), std::string::npos) << msg;
  EXPECT_NE(msg.find("upgrade_domain_count_changed"), std::string::npos) << msg;

  auto medium = std::regex_replace(csdef, std::regex("vmsize=\"Small\""), "vmsize=\"Medium\"");
  r = op("upgrade", {{"image", "v2"}, {"csdef", medium}});
  EXPECT_EQ(r.status, 400);
  msg = r.body["error"]["message"].get<std::string>();
  EXPECT_NE(msg.find("vm_size_changed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("give force"), std::string::npos) << msg;

  EXPECT_EQ(op("upgrade", {{"image", "nope"}}).body["error"]["message"],
            "unknown image 'nope': upload it first (fabricctl image upload)");
  EXPECT_EQ(op("upgrade", {{"image", "v2"}, {"mode", "sideways"}}).body["error"]["message"],
            "unknown mode 'sideways': expected auto, manual or simultaneous");
  EXPECT_NE(op("upgrade", {{"image", "v2"}, {"order", {0, 1, 1, 2, 3}}})
              .body["error"]["message"]
              .get<std::string>()
              .find("UD 1 appears twice"),
            std::string::npos);
  EXPECT_EQ(op("upgrade", {{"image", "v2"}, {"role", "Worker"}}).body["error"]["message"],
            "role 'Worker' is not in the deployment (roles: Web)");
  EXPECT_TRUE(tick().empty());
  EXPECT_EQ(deployment(), before);

  // With force, the VM size change is allowed in place.
  r = op("upgrade", {{"image", "v2"}, {"csdef", medium}, {"force", true}});
  EXPECT_EQ(r.status, 202) << r.body.dump();
}

TEST_F(upgrade_test, one_upgrade_at_a_time_but_a_new_one_over_a_stuck_one) {
  auto first = op("upgrade", {{"image", "v2"}, {"timeout_s", 1}, {"on_timeout", "pause"}});
  ASSERT_EQ(first.status, 202);
  auto busy = op("upgrade", {{"image", "v2"}, {"version", "v3"}});
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(busy.body["error"]["message"],
            "an upgrade to version v2 is already in progress; let it finish or roll it back "
            "first");
  EXPECT_EQ(json_api::start_operation(*ctl, "delete_deployment", {"svc", "production", ""}).status, 409);
  accept(tick());  // UD 0 goes down and never comes back
  EXPECT_FALSE(deployment()["upgrade"]["paused"].get<bool>());
  EXPECT_TRUE(tick(2s).empty());
  auto u = deployment()["upgrade"];
  EXPECT_TRUE(u["paused"].get<bool>());
  EXPECT_NE(u["reason"].get<std::string>().find("did not reach ReadyRole on version v2 within"),
            std::string::npos)
    << u.dump();
  auto second = op("upgrade", {{"image", "v2"}, {"version", "v3"}});
  ASSERT_EQ(second.status, 202) << second.body.dump();
  EXPECT_EQ(op_status(first), "Failed");
  EXPECT_EQ(deployment()["upgrade"]["target_version"], "v3");
  EXPECT_FALSE(deployment()["upgrade"]["paused"].get<bool>());
}

TEST_F(upgrade_test, timeout_with_roll_back_policy_turns_the_walk_around) {
  auto res = op("upgrade", {{"image", "v2"}, {"timeout_s", 1}, {"on_timeout", "roll_back"}});
  ASSERT_EQ(res.status, 202);
  accept(tick());
  tick(2s);
  EXPECT_EQ(op_status(res), "Failed");
  EXPECT_NE(json_api::get_operation(*ctl, res.body["operation_id"])
              .body["error"]["message"]
              .get<std::string>()
              .find("rolled back: "),
            std::string::npos);
  EXPECT_TRUE(deployment()["upgrade"]["rolling_back"].get<bool>());
  auto cmds = tick();
  EXPECT_EQ(uds(cmds), std::set<int>{0});
  for (auto& c : cmds)
    EXPECT_EQ(c.command.instance.version, "v1");
}

TEST_F(upgrade_test, per_ud_wait_holds_the_auto_walk_between_domains) {
  ASSERT_EQ(op("upgrade", {{"image", "v2"}, {"domain_wait_ms", 1000}}).status, 202);
  run(tick());
  auto walked_at = now + 1ms;
  EXPECT_TRUE(tick().empty());  // UD 0 walked; the wait starts
  ASSERT_TRUE(ctl->upgrades().next_deadline().has_value());
  EXPECT_EQ(*ctl->upgrades().next_deadline(), walked_at + 1000ms);
  EXPECT_EQ(deployment()["upgrade"]["walked"], nlohmann::json::array({0}));
  EXPECT_TRUE(tick(500ms).empty());
  auto cmds = tick(500ms);
  EXPECT_EQ(uds(cmds), std::set<int>{1});
}

TEST_F(upgrade_test, a_restarted_controller_resumes_the_walk_without_repeating_done_work) {
  ASSERT_EQ(op("upgrade", {{"image", "v2"}}).status, 202);
  run(tick());      // UD 0 done
  auto ud1 = tick();  // UD 1 commanded
  ASSERT_EQ(uds(ud1), std::set<int>{1});

  // The coordinator restarts on the same model; the nodes register again and
  // report what they run (UD 0 on v2, UD 1 not yet upgraded).
  ctl = std::make_unique<controller>(store, &images);
  EXPECT_TRUE(tick().empty());  // no node is up yet
  EXPECT_EQ(deployment()["upgrade"]["current_upgrade_domain"], 1);
  for (int n = 0; n < 3; ++n)
    up("n" + std::to_string(n), n);
  auto starts = ctl->take_outbound();  // reconcile: start for every instance
  for (auto& c : starts) {
    ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
    auto wire = c.command.instance.name;
    ctl->on_report(c.peer, {wire, "ReadyRole", ud_of(wire) == 0 ? "v2" : "v1", "127.0.0.1:1"});
  }
  std::set<std::string> upgraded;
  for (int guard = 0; guard < 20 && !deployment()["upgrade"].is_null(); ++guard) {
    auto cmds = tick();
    for (auto& c : cmds) {
      EXPECT_NE(ud_of(c.command.instance.name), 0) << c.command.instance.name;
      EXPECT_TRUE(upgraded.insert(c.command.instance.name).second);
    }
    run(cmds);
  }
  EXPECT_EQ(upgraded.size(), 8u);
  EXPECT_EQ(deployment()["version"], "v2");
}

} // namespace
} // namespace fabric::coordinator
