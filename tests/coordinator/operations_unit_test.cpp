// The deployment operations (coordinator/plans.hpp), driven on the
// controller directly with the in-memory model port: what each one commits and
// which commands it queues (take_outbound() is the fake transport), when it
// succeeds, and that bad input changes nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/coordinator/test_model.hpp"

namespace fabric::coordinator {
namespace {

namespace fs = std::filesystem;
using protocol::command_kind;

using testing::read_file;

/// A .cscfg for role Web of the ten-web model.
std::string cscfg(int count, const std::string& greeting = "hello") {
  return "<ServiceConfiguration serviceName='TenWeb'><Role name='Web'><Instances count='"
         + std::to_string(count)
         + "'/><ConfigurationSettings><Setting name='Greeting' value='" + greeting
         + "'/></ConfigurationSettings></Role></ServiceConfiguration>";
}

struct operations_test : testing::controller_fixture {
  std::string csdef = read_file(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef");

  void SetUp() override {
    controller_config cfg;
    cfg.seed = 42;
    start(cfg);
    for (int n = 0; n < 3; ++n)
      up("n" + std::to_string(n), n, 20);
    ASSERT_EQ(create_service().status, 201);
  }

  /// Every node accepts every command; started instances report ReadyRole,
  /// stopped ones StoppedVM.
  void nodes_run(const std::vector<outbound_command>& cmds) {
    for (auto& c : cmds) {
      ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
      const char* state = nullptr;
      switch (c.command.kind) {
        case command_kind::remove:
        case command_kind::update_spec: break;
        case command_kind::stop: state = "StoppedVM"; break;
        default: state = "ReadyRole";
      }
      if (state)
        ctl->on_report(c.peer, {c.command.instance.name, state, "v1", "127.0.0.1:1"});
    }
  }

  void deploy(const std::string& slot, const std::string& name, int count = 3,
              const std::string& def = "") {
    nlohmann::json body{{"csdef", def.empty() ? csdef : def},
                        {"cscfg", cscfg(count)},
                        {"image", "base"},
                        {"name", name},
                        {"version", "v1"}};
    auto res = json_api::start_operation(*ctl, "deploy", {"svc", slot, body.dump()});
    ASSERT_EQ(res.status, 202) << res.body.dump();
    nodes_run(ctl->take_outbound());
    ASSERT_EQ(status(res), "Succeeded");
  }

  std::string status(const api_result& accepted) { return op_status(accepted); }

  const model::deployment& dep(model::slot s = model::slot::production) {
    return *store.model().services.at("svc").in(s);
  }

  api_result op(const std::string& kind, const std::string& body,
                const std::string& slot = "production") {
    return start_op(kind, body, slot);
  }
};

TEST_F(operations_test, swap_exchanges_the_slots_and_tells_every_instance_its_new_slot) {
  deploy("production", "blue");
  deploy("staging", "green", 2);
  auto res = op("swap", "");
  ASSERT_EQ(res.status, 202) << res.body.dump();
  EXPECT_EQ(res.body["production"], "green");
  EXPECT_EQ(res.body["staging"], "blue");
  EXPECT_EQ(dep(model::slot::production).name, "green");
  EXPECT_EQ(dep(model::slot::staging).name, "blue");
  auto cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 5u);
  for (auto& c : cmds) {
    EXPECT_EQ(c.command.kind, command_kind::update_spec);
    auto expected = c.command.instance.deployment == "green" ? "production" : "staging";
    EXPECT_EQ(c.command.instance.slot, expected) << c.command.instance.name;
  }
  EXPECT_EQ(status(res), "InProgress");
  nodes_run(cmds);
  EXPECT_EQ(status(res), "Succeeded");
  // Swapping again restores them.
  ASSERT_EQ(op("swap", "").status, 202);
  nodes_run(ctl->take_outbound());
  EXPECT_EQ(dep(model::slot::production).name, "blue");
  EXPECT_EQ(dep(model::slot::staging).name, "green");
}

TEST_F(operations_test, swap_is_refused_when_the_endpoints_differ) {
  deploy("production", "blue");
  auto two_endpoints = csdef;
  auto at = two_endpoints.find("</Endpoints>");
  two_endpoints.insert(at, "<InputEndpoint name='admin' protocol='tcp' port='8080' />");
  deploy("staging", "green", 3, two_endpoints);
  auto before = store.model().revision;
  auto res = op("swap", "");
  EXPECT_EQ(res.status, 409);
  auto msg = res.body["error"]["message"].get<std::string>();
  EXPECT_NE(msg.find("endpoints_changed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot change the number or type of endpoints"), std::string::npos) << msg;
  EXPECT_EQ(store.model().revision, before);
  EXPECT_TRUE(ctl->take_outbound().empty());
  EXPECT_EQ(dep().name, "blue");
}

TEST_F(operations_test, stop_then_start_sends_stop_and_start_and_waits_for_the_states) {
  deploy("production", "blue");
  auto stop = op("set_status", R"({"status":"Suspended"})");
  ASSERT_EQ(stop.status, 202) << stop.body.dump();
  EXPECT_EQ(dep().status, model::deployment_status::suspended);
  auto cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 3u);
  for (auto& c : cmds) {
    EXPECT_EQ(c.command.kind, command_kind::stop);
    ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
  }
  EXPECT_EQ(status(stop), "InProgress");  // accepted, not yet StoppedVM
  nodes_run(cmds);
  EXPECT_EQ(status(stop), "Succeeded");
  auto start = op("set_status", R"({"status":"Running"})");
  ASSERT_EQ(start.status, 202);
  EXPECT_EQ(dep().status, model::deployment_status::running);
  cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 3u);
  for (auto& c : cmds)
    EXPECT_EQ(c.command.kind, command_kind::start);
  nodes_run(cmds);
  EXPECT_EQ(status(start), "Succeeded");
}

TEST_F(operations_test, instance_operations_send_one_command_and_wait_for_ready_role) {
  deploy("production", "blue");
  for (auto [kind, expected] : {std::pair{"reboot_instance", command_kind::reboot},
                                std::pair{"reimage_instance", command_kind::reimage},
                                std::pair{"rebuild_instance", command_kind::rebuild}}) {
    auto res = op(kind, R"({"instance":"Web_IN_1"})");
    ASSERT_EQ(res.status, 202) << res.body.dump();
    auto cmds = ctl->take_outbound();
    ASSERT_EQ(cmds.size(), 1u);
    EXPECT_EQ(cmds[0].command.kind, expected);
    EXPECT_EQ(cmds[0].command.instance.name, "blue.Web_IN_1");
    EXPECT_FALSE(cmds[0].command.reboot_degenerates);
    // Accepted but not yet seen ReadyRole again: still in progress.
    ctl->on_command_result(cmds[0].peer, {cmds[0].command.command_id, true, ""});
    EXPECT_EQ(status(res), "InProgress");
    ctl->on_report(cmds[0].peer, {"blue.Web_IN_1", "ReadyRole", "v1", "127.0.0.1:1"});
    EXPECT_EQ(status(res), "Succeeded");
  }
}

TEST_F(operations_test, the_reboot_quirk_decides_reboot_degenerates_from_the_probability) {
  deploy("production", "blue");
  auto reboot = [&](const std::string& inst) {
    auto res = op("reboot_instance", nlohmann::json{{"instance", inst}}.dump());
    EXPECT_EQ(res.status, 202) << res.body.dump();
    auto cmds = ctl->take_outbound();
    EXPECT_EQ(cmds.size(), 1u);
    EXPECT_EQ(res.body["reboot_degenerates"], cmds.at(0).command.reboot_degenerates);
    nodes_run(cmds);
    return cmds.at(0).command.reboot_degenerates;
  };
  ASSERT_EQ(op("set_reboot_quirk", R"({"probability":1})").status, 202);
  EXPECT_EQ(dep().reboot_reimage_probability, 1.0);
  EXPECT_TRUE(reboot("Web_IN_0"));
  // A per-instance setting overrides the deployment's.
  ASSERT_EQ(op("set_reboot_quirk", R"({"probability":0,"instance":"Web_IN_2"})").status, 202);
  EXPECT_FALSE(reboot("Web_IN_2"));
  EXPECT_TRUE(reboot("Web_IN_1"));
  auto cfg = json_api::get_configuration(*ctl, "svc", "production").body;
  EXPECT_EQ(cfg["reboot_reimage_probability"], 1.0);
  EXPECT_EQ(cfg["instance_reboot_reimage_probability"]["Web_IN_2"], 0.0);
}

TEST_F(operations_test, the_same_seed_draws_the_same_reboot_outcomes) {
  auto outcomes = [&](uint64_t seed) {
    memory_model_port s2;
    controller_config cfg;
    cfg.seed = seed;
    controller c2(s2, &images, cfg);
    c2.on_node_up({"n0", 0, 20, "p0", 1, true}, {});
    json_api::create_service(c2, R"({"name":"svc"})");
    nlohmann::json body{{"csdef", csdef}, {"cscfg", cscfg(1)}, {"image", "base"}, {"name", "q"}};
    json_api::start_operation(c2, "deploy", {"svc", "production", body.dump()});
    auto run = [&](const std::vector<outbound_command>& cmds) {
      for (auto& c : cmds) {
        c2.on_command_result(c.peer, {c.command.command_id, true, ""});
        c2.on_report(c.peer, {c.command.instance.name, "ReadyRole", "v1", ""});
      }
    };
    run(c2.take_outbound());
    json_api::start_operation(c2, "set_reboot_quirk", {"svc", "production", R"({"probability":0.5})"});
    std::string out;
    for (int i = 0; i < 24; ++i) {
      json_api::start_operation(c2, "reboot_instance", {"svc", "production", R"({"instance":"Web_IN_0"})"});
      auto cmds = c2.take_outbound();
      out += cmds.at(0).command.reboot_degenerates ? '1' : '0';
      run(cmds);
    }
    return out;
  };
  auto a = outcomes(7);
  EXPECT_EQ(a, outcomes(7));
  EXPECT_NE(a.find('1'), std::string::npos) << a;  // p = 0.5: both outcomes occur
  EXPECT_NE(a.find('0'), std::string::npos) << a;
}

TEST_F(operations_test, change_configuration_scales_out_and_in_and_updates_settings) {
  deploy("production", "blue");
  auto out = op("change_configuration", cscfg(5));
  ASSERT_EQ(out.status, 202) << out.body.dump();
  EXPECT_EQ(out.body["instances_added"], 2);
  auto& d = dep();
  ASSERT_EQ(d.instances.size(), 5u);
  std::set<int> fds;
  for (auto& i : d.instances) {
    EXPECT_EQ(i.upgrade_domain, i.index % 5);
    EXPECT_FALSE(i.node.empty()) << i.name;
    fds.insert(i.fault_domain);
  }
  EXPECT_EQ(fds.size(), 3u);
  auto cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 2u);
  std::set<std::string> started;
  for (auto& c : cmds) {
    EXPECT_EQ(c.command.kind, command_kind::start);
    started.insert(c.command.instance.name);
  }
  EXPECT_EQ(started, (std::set<std::string>{"blue.Web_IN_3", "blue.Web_IN_4"}));
  EXPECT_EQ(status(out), "InProgress");
  nodes_run(cmds);
  EXPECT_EQ(status(out), "Succeeded");

  // Scale in and change a setting: the highest indexes are removed, the others
  // get the new settings without a restart.
  auto in = op("change_configuration", cscfg(2, "bonjour"));
  ASSERT_EQ(in.status, 202) << in.body.dump();
  EXPECT_EQ(in.body["instances_removed"], 3);
  EXPECT_EQ(in.body["instances_updated"], 2);
  ASSERT_EQ(dep().instances.size(), 2u);
  EXPECT_EQ(dep().configuration.roles[0].settings.at("Greeting"), "bonjour");
  std::map<std::string, command_kind> kinds;
  for (auto& c : ctl->take_outbound()) {
    kinds[c.command.instance.name] = c.command.kind;
    if (c.command.kind == command_kind::update_spec) {
      EXPECT_EQ(c.command.instance.settings.at("Greeting"), "bonjour");
    }
  }
  EXPECT_EQ(kinds, (std::map<std::string, command_kind>{
                     {"blue.Web_IN_0", command_kind::update_spec},
                     {"blue.Web_IN_1", command_kind::update_spec},
                     {"blue.Web_IN_2", command_kind::remove},
                     {"blue.Web_IN_3", command_kind::remove},
                     {"blue.Web_IN_4", command_kind::remove}}));
}

TEST_F(operations_test, redeploy_removes_every_instance_then_starts_them_fresh) {
  deploy("production", "blue");
  auto res = op("redeploy", "");
  ASSERT_EQ(res.status, 202) << res.body.dump();
  auto cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(cmds[i].command.kind, command_kind::remove);
  for (std::size_t i = 3; i < 6; ++i)
    EXPECT_EQ(cmds[i].command.kind, command_kind::start);
  EXPECT_EQ(dep().name, "blue");
  EXPECT_EQ(dep().instances.size(), 3u);
  nodes_run(cmds);
  EXPECT_EQ(status(res), "Succeeded");
  // With a new configuration: 4 instances.
  auto bigger = op("redeploy", nlohmann::json{{"cscfg", cscfg(4)}}.dump());
  ASSERT_EQ(bigger.status, 202) << bigger.body.dump();
  EXPECT_EQ(dep().instances.size(), 4u);
}

TEST_F(operations_test, one_operation_per_slot_and_swap_checks_both_slots) {
  deploy("production", "blue");
  deploy("staging", "green");
  ASSERT_EQ(op("reboot_instance", R"({"instance":"Web_IN_0"})", "staging").status, 202);
  auto busy = op("swap", "");
  EXPECT_EQ(busy.status, 409);
  EXPECT_NE(busy.body["error"]["message"].get<std::string>().find("in progress on svc/staging"),
            std::string::npos)
    << busy.body.dump();
  auto again = op("rebuild_instance", R"({"instance":"Web_IN_1"})", "staging");
  EXPECT_EQ(again.status, 409);
}

TEST_F(operations_test, bad_input_is_refused_with_the_reason_and_changes_nothing) {
  deploy("production", "blue");
  ASSERT_EQ(op("set_status", R"({"status":"Suspended"})", "production").status, 202);
  nodes_run(ctl->take_outbound());
  auto before = store.model().revision;
  auto before_dep = json_api::get_deployment(*ctl, "svc", "production").body;
  struct bad_case {
    std::string kind, service, slot, body;
    int status;
    std::string message_part;
  };
  std::vector<bad_case> cases{
    {"swap", "nosuch", "production", "", 404, "hosted service 'nosuch' does not exist"},
    {"set_status", "nosuch", "production", R"({"status":"Running"})", 404, "'nosuch'"},
    {"set_status", "svc", "prod", R"({"status":"Running"})", 400, "unknown slot 'prod'"},
    {"set_status", "svc", "staging", R"({"status":"Running"})", 404, "no deployment in svc/staging"},
    {"set_status", "svc", "production", "{garbage", 400, "not a JSON object"},
    {"set_status", "svc", "production", R"({"status":"Paused"})", 400, "unknown status 'Paused'"},
    {"set_status", "svc", "production", R"({})", 400, "missing string member 'status'"},
    {"reboot_instance", "svc", "production", R"({"instance":"Web_IN_9"})", 404,
     "no role instance 'Web_IN_9'"},
    {"reimage_instance", "svc", "production", R"({"instance":"Web_IN_0"})", 409,
     "is Suspended: start it"},
    {"rebuild_instance", "svc", "production", "[]", 400, "not a JSON object"},
    {"set_reboot_quirk", "svc", "production", R"({"probability":1.5})", 400,
     "between 0 and 1"},
    {"set_reboot_quirk", "svc", "production", R"({"probability":"high"})", 400,
     "missing number member 'probability'"},
    {"set_reboot_quirk", "svc", "production", R"({"probability":0.5,"instance":"X"})", 404,
     "no role instance 'X'"},
    {"change_configuration", "svc", "production", "<ServiceConfiguration><Role", 400,
     "ServiceConfiguration.cscfg"},
    {"change_configuration", "svc", "production", cscfg(-2), 400, "ServiceConfiguration.cscfg"},
    {"change_configuration", "svc", "production",
     "<ServiceConfiguration><Role name='Api'><Instances count='1'/></Role></ServiceConfiguration>",
     400, "is defined in"},
    {"change_configuration", "svc", "production", cscfg(500), 409, "no capacity"},
    {"redeploy", "svc", "production", "{nope", 400, "not a JSON object"},
    {"redeploy", "svc", "production", R"({"image":"nosuch"})", 400, "unknown image 'nosuch'"},
    {"redeploy", "svc", "production", R"({"cscfg":"<x"})", 400, "ServiceConfiguration.cscfg"},
  };
  for (auto& c : cases) {
    auto res = json_api::start_operation(*ctl, c.kind, {c.service, c.slot, c.body});
    EXPECT_EQ(res.status, c.status) << c.kind << " " << c.body << " " << res.body.dump();
    auto msg = res.body["error"]["message"].get<std::string>();
    EXPECT_NE(msg.find(c.message_part), std::string::npos) << c.kind << ": " << msg;
  }
  auto cfg = json_api::get_configuration(*ctl, "svc", "nosuch");
  EXPECT_EQ(cfg.status, 400);
  EXPECT_EQ(store.model().revision, before);
  EXPECT_TRUE(ctl->take_outbound().empty());
  EXPECT_EQ(json_api::get_deployment(*ctl, "svc", "production").body, before_dep);
}

} // namespace
} // namespace fabric::coordinator
