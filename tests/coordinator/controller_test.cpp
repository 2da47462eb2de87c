// The controller: API operations, node events, healing, reconcile and the
// image catalog, driven directly (no actor). The commands it queues are the
// fake transport: take_outbound() captures them.

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
using testing::tiny_archive;

struct controller_test : testing::controller_fixture {
  std::string csdef = read_file(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef");
  std::string cscfg = read_file(std::string(FABRIC_TEST_DATA) + "/models/ten-web.cscfg");

  void SetUp() override { start(); }

  nlohmann::json deploy_body(const std::string& image = "base") {
    return {{"csdef", csdef}, {"cscfg", cscfg}, {"image", image}, {"name", "tw"}};
  }

  api_result deploy(const nlohmann::json& body, const std::string& slot = "production") {
    return json_api::start_operation(*ctl, "deploy", {"svc", slot, body.dump()});
  }

  void create_service() { ASSERT_EQ(controller_fixture::create_service().status, 201); }

  /// Every node answers ok and reports each started instance ReadyRole.
  void nodes_run(const std::vector<outbound_command>& cmds) {
    for (auto& c : cmds) {
      ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
      if (c.command.kind != command_kind::remove)
        ctl->on_report(c.peer, {c.command.instance.name, "ReadyRole", c.command.instance.version,
                                "127.0.0.1:1"});
    }
  }
};

TEST_F(controller_test, deploy_places_spreads_fds_sends_full_specs_and_succeeds_when_ready) {
  up("n1", 0);
  up("n2", 1);
  up("n3", 2);
  create_service();
  auto res = deploy(deploy_body());
  ASSERT_EQ(res.status, 202) << res.body.dump();
  EXPECT_EQ(op_status(res), "InProgress");
  auto cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 10u);
  std::set<int> fds;
  for (auto& c : cmds) {
    EXPECT_EQ(c.command.kind, command_kind::start);
    EXPECT_EQ(c.command.instance.image_digest, *images.resolve("base"));
    EXPECT_EQ(c.command.instance.phase_durations_ms.at("start_role"), 50u);
    EXPECT_EQ(c.peer, "peer-" + c.node);
    fds.insert(static_cast<int>(c.command.instance.fault_domain));
  }
  EXPECT_EQ(fds.size(), 3u);
  auto d = deployment();
  EXPECT_EQ(d["instances"].size(), 10u);
  EXPECT_EQ(d["instances"][0]["state"], "RoleStateUnknown");
  nodes_run(cmds);
  EXPECT_EQ(op_status(res), "Succeeded");
  d = deployment();
  EXPECT_EQ(d["ready_instances"], 10);
  for (auto& i : d["instances"]) {
    EXPECT_EQ(i["state"], "ReadyRole");
    EXPECT_EQ(i["upgrade_domain"], std::stoi(i["name"].get<std::string>().substr(7)) % 5);
  }
}

TEST_F(controller_test, a_refused_command_fails_the_operation_with_the_nodes_error) {
  up("n1", 0);
  create_service();
  auto res = deploy(deploy_body());
  ASSERT_EQ(res.status, 202);
  auto cmds = ctl->take_outbound();
  ctl->on_command_result(cmds[0].peer, {cmds[0].command.command_id, false, "disk full"});
  auto op = json_api::get_operation(*ctl, res.body["operation_id"]).body;
  EXPECT_EQ(op["status"], "Failed");
  EXPECT_EQ(op["error"]["message"], "disk full");
}

TEST_F(controller_test, bad_input_is_refused_and_changes_nothing) {
  up("n1", 0);
  create_service();
  auto before = store.model().revision;
  struct bad_case {
    std::string service, slot, body;
    int status;
    std::string message_part;
  };
  auto with = [&](const char* key, nlohmann::json v) {
    auto b = deploy_body();
    b[key] = v;
    return b.dump();
  };
  std::vector<bad_case> cases{
    {"nosuch", "production", deploy_body().dump(), 404, "hosted service 'nosuch' does not exist"},
    {"svc", "prod", deploy_body().dump(), 400, "unknown slot 'prod'"},
    {"svc", "production", "{not json", 400, "not a JSON object"},
    {"svc", "production", "[1,2]", 400, "not a JSON object"},
    {"svc", "production", with("csdef", "<ServiceDefinition"), 400, "ServiceDefinition.csdef"},
    {"svc", "production", with("cscfg", 42), 400, "missing string member 'cscfg'"},
    {"svc", "production", with("image", "nosuch"), 400, "unknown image 'nosuch'"},
    {"svc", "production", with("name", "a.b"), 400, "bad deployment name 'a.b'"},
    {"svc", "production", with("start", "yes"), 400, "'start' must be true or false"},
    {"svc", "production", with("phase_ms", {{"create_vm", -1}}), 400, "phase_ms.create_vm"},
  };
  for (auto& c : cases) {
    auto res = json_api::start_operation(*ctl, "deploy", {c.service, c.slot, c.body});
    EXPECT_EQ(res.status, c.status) << c.body.substr(0, 40) << " " << res.body.dump();
    auto msg = res.body["error"]["message"].get<std::string>();
    EXPECT_NE(msg.find(c.message_part), std::string::npos) << msg;
  }
  EXPECT_EQ(store.model().revision, before);
  EXPECT_TRUE(ctl->take_outbound().empty());
  EXPECT_EQ(json_api::list_operations(*ctl).body["operations"].size(), 0u);
}

TEST_F(controller_test, one_mutating_operation_per_slot_and_occupied_slots_conflict) {
  up("n1", 0);
  create_service();
  ASSERT_EQ(deploy(deploy_body()).status, 202);
  auto second = json_api::start_operation(*ctl, "delete_deployment", {"svc", "production", ""});
  EXPECT_EQ(second.status, 409);
  nodes_run(ctl->take_outbound());
  auto again = deploy(deploy_body());
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body["error"]["message"].get<std::string>().find("already holds"),
            std::string::npos);
  // Deployment names are unique across slots and services (wire names).
  auto staging = deploy(deploy_body(), "staging");
  EXPECT_EQ(staging.status, 409);
}

TEST_F(controller_test, delete_deployment_commits_then_removes_on_each_node) {
  up("n1", 0);
  up("n2", 1);
  create_service();
  ASSERT_EQ(deploy(deploy_body()).status, 202);
  nodes_run(ctl->take_outbound());
  auto res = json_api::start_operation(*ctl, "delete_deployment", {"svc", "production", ""});
  ASSERT_EQ(res.status, 202);
  EXPECT_FALSE(store.model().services.at("svc").production);
  auto cmds = ctl->take_outbound();
  ASSERT_EQ(cmds.size(), 10u);
  for (auto& c : cmds)
    EXPECT_EQ(c.command.kind, command_kind::remove);
  EXPECT_EQ(op_status(res), "InProgress");
  nodes_run(cmds);
  EXPECT_EQ(op_status(res), "Succeeded");
  EXPECT_EQ(json_api::get_deployment(*ctl, "svc", "production").status, 404);
  EXPECT_EQ(json_api::delete_service(*ctl, "svc").status, 200);
}

TEST_F(controller_test, node_down_heals_onto_live_nodes_and_a_returning_node_removes_its_copies) {
  up("n1", 0);
  up("n2", 1);
  up("n3", 2);
  create_service();
  ASSERT_EQ(deploy(deploy_body()).status, 202);
  auto first = ctl->take_outbound();
  nodes_run(first);
  std::vector<protocol::held_instance> on_n3;
  for (auto& c : first)
    if (c.node == "n3")
      on_n3.push_back({c.command.instance.name, "tw", "base", true, {}});
  ASSERT_FALSE(on_n3.empty());

  ctl->on_node_down("n3");
  auto d = deployment();
  for (auto& i : d["instances"])
    EXPECT_NE(i["node"], "n3");
  auto moves = ctl->take_outbound();
  ASSERT_EQ(moves.size(), on_n3.size());
  for (auto& m : moves) {
    EXPECT_EQ(m.command.kind, command_kind::migrate_in);
    EXPECT_NE(m.node, "n3");
  }
  EXPECT_EQ(ctl->counters().replacements, on_n3.size());
  auto current = deployment();
  for (auto& i : current["instances"]) {
    if (i["state"] != "ReadyRole") {
      EXPECT_EQ(i["state"], "RoleStateUnknown");
    }
  }
  nodes_run(moves);
  EXPECT_EQ(deployment()["ready_instances"], 10);

  // n3 comes back holding its old copies: each is removed, none started.
  up("n3", 2, 10, on_n3);
  auto back = ctl->take_outbound();
  ASSERT_EQ(back.size(), on_n3.size());
  for (auto& c : back) {
    EXPECT_EQ(c.node, "n3");
    EXPECT_EQ(c.command.kind, command_kind::remove);
  }
  // A late report from the old copy does not overwrite the new one.
  ctl->on_report("peer-n3", {on_n3[0].instance_name, "StoppedVM", "base", ""});
  EXPECT_EQ(deployment()["ready_instances"], 10);
}

TEST_F(controller_test, restart_resumes_the_model_with_unknown_states_until_nodes_report) {
  up("n1", 0);
  create_service();
  ASSERT_EQ(deploy(deploy_body()).status, 202);
  auto cmds = ctl->take_outbound();
  nodes_run(cmds);
  // A new controller over the same store: the model is there, states unknown.
  controller restarted{store, &images};
  auto d = json_api::get_deployment(restarted, "svc", "production").body;
  EXPECT_EQ(d["instances"].size(), 10u);
  EXPECT_EQ(d["ready_instances"], 0);
  std::vector<protocol::held_instance> held;
  for (auto& c : cmds)
    held.push_back({c.command.instance.name, "tw", "base", true, {}});
  restarted.on_node_up({"n1", 0, 10, "peer-n1", 2, true}, held);
  auto again = restarted.take_outbound();
  ASSERT_EQ(again.size(), 10u);
  for (auto& c : again)
    EXPECT_EQ(c.command.kind, command_kind::start);
  for (auto& c : again)
    restarted.on_report(c.peer, {c.command.instance.name, "ReadyRole", "base", ""});
  EXPECT_EQ(json_api::get_deployment(restarted, "svc", "production").body["ready_instances"], 10);
}

TEST_F(controller_test, services_create_list_delete_and_their_errors) {
  EXPECT_EQ(json_api::create_service(*ctl, "nope").status, 400);
  EXPECT_EQ(json_api::create_service(*ctl, R"({"name":"bad name"})").status, 400);
  create_service();
  EXPECT_EQ(json_api::create_service(*ctl, R"({"name":"svc"})").status, 409);
  EXPECT_EQ(json_api::list_services(*ctl).body["services"].size(), 1u);
  EXPECT_EQ(json_api::get_service(*ctl, "x").status, 404);
  EXPECT_EQ(json_api::delete_service(*ctl, "x").status, 404);
  EXPECT_EQ(json_api::delete_service(*ctl, "svc").status, 200);
  EXPECT_TRUE(store.model().services.empty());
}

TEST_F(controller_test, no_start_creates_a_suspended_deployment_without_commands) {
  up("n1", 0);
  create_service();
  auto b = deploy_body();
  b["start"] = false;
  auto res = deploy(b);
  ASSERT_EQ(res.status, 202);
  EXPECT_TRUE(ctl->take_outbound().empty());
  EXPECT_EQ(op_status(res), "Succeeded");
  EXPECT_EQ(deployment()["status"], "Suspended");
}

TEST_F(controller_test, not_enough_room_is_a_conflict_that_changes_nothing) {
  up("n1", 0, 3);
  create_service();
  auto res = deploy(deploy_body());
  EXPECT_EQ(res.status, 409);
  EXPECT_EQ(res.body["error"]["code"], "InsufficientCapacity");
  EXPECT_FALSE(store.model().services.at("svc").production);
}

TEST(image_catalog_test, stores_names_persists_and_refuses_corrupt_archives) {
  auto dir = fs::path(fabric::testing::temp_dir("fabric-images"));
  auto archive = tiny_archive(dir / "scratch");
  {
    image_catalog cat{dir / "c"};
    ASSERT_TRUE(cat.load().ok());
    auto e = cat.add("web-v1", archive);
    ASSERT_TRUE(e.ok()) << e.err().to_string();
    EXPECT_EQ(cat.resolve("web-v1"), e->digest);
    EXPECT_EQ(cat.resolve(e->digest), e->digest);
    auto bad_name = cat.add(".hidden", archive);
    ASSERT_FALSE(bad_name.ok());
    EXPECT_NE(bad_name.err().message.find("bad image name"), std::string::npos);
    auto garbage = cat.add("x", "garbage");
    ASSERT_FALSE(garbage.ok());
    EXPECT_NE(garbage.err().message.find("not an image archive"), std::string::npos);
    auto flipped = archive;
    flipped[flipped.size() - 20] ^= 1;  // inside the file content
    auto corrupt = cat.add("y", flipped);
    ASSERT_FALSE(corrupt.ok());
    EXPECT_FALSE(cat.resolve("y"));
  }
  image_catalog reopened{dir / "c"};
  ASSERT_TRUE(reopened.load().ok());
  ASSERT_EQ(reopened.list().size(), 1u);
  EXPECT_EQ(reopened.list()[0].name, "web-v1");
  std::string exported;
  ASSERT_TRUE(reopened
                .export_image(*reopened.resolve("web-v1"),
                              [&](std::string_view p) {
                                exported.append(p);
                                return ok_status();
                              })
                .ok());
  EXPECT_EQ(exported, archive);
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_directory(ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(dir, ec);
}

} // namespace
} // namespace fabric::coordinator
