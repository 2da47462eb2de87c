// The JSON bodies of GET /fabric/v1/nodes and /stats, from a snapshot; and
// the /fabric/v1 edge of the controller (coordinator/api_json.hpp): request
// bodies -> typed requests, typed replies and errors -> JSON.

#include <gtest/gtest.h>

#include "coordinator/api_json.hpp"
#include "coordinator/api_server.hpp"

namespace fabric::coordinator {
namespace {

using namespace std::chrono_literals;

TEST(api_json, nodes_lists_each_member_with_state_and_heartbeat_age) {
  membership_snapshot snap;
  steady_time t0{};
  snap.taken_at = t0 + 1500ms;
  member m;
  m.name = "node-a";
  m.fault_domain = 2;
  m.advertise_host = "10.0.0.2";
  m.state = node_state::down;
  m.epoch = 9;
  m.last_heard = t0 + 1000ms;
  m.version = {1, 0};
  m.instances = {{"Web_IN_0", "ReadyRole", "v1", ""}, {"Web_IN_1", "BusyRole", "v1", ""}};
  snap.members.push_back(m);
  auto j = nodes_json(snap);
  ASSERT_EQ(j["nodes"].size(), 1u);
  auto& n = j["nodes"][0];
  EXPECT_EQ(n["name"], "node-a");
  EXPECT_EQ(n["fault_domain"], 2);
  EXPECT_EQ(n["state"], "down");
  EXPECT_EQ(n["epoch"], 9);
  EXPECT_EQ(n["last_heartbeat_age_ms"], 500);
  EXPECT_EQ(n["address"], "10.0.0.2");
  EXPECT_EQ(n["protocol_version"], "1.0");
  EXPECT_EQ(n["instance_count"], 2);
  EXPECT_EQ(n["instances"], nlohmann::json({"Web_IN_0", "Web_IN_1"}));
}

TEST(api_json, held_instances_are_listed_until_the_first_heartbeat) {
  membership_snapshot snap;
  member m;
  m.name = "node-a";
  m.held = {{"Web_IN_3", "dep", "v1", true, {}}};
  snap.members.push_back(m);
  EXPECT_EQ(nodes_json(snap)["nodes"][0]["instances"], nlohmann::json({"Web_IN_3"}));
}

TEST(api_json, bridge_counters_by_kind) {
  actors::bridge_counters c;
  c.malformed = 3;
  c.unknown_type = 1;
  auto j = bridge_stats_json(c);
  EXPECT_EQ(j["malformed"], 3);
  EXPECT_EQ(j["unknown_type"], 1);
  EXPECT_EQ(j["oversized"], 0);
}

TEST(api_json, errors_carry_their_code_message_and_http_status) {
  struct row {
    error_code code;
    int status;
    const char* text;
  };
  for (auto& r : {row{error_code::bad_request, 400, "BadRequest"},
                  row{error_code::not_found, 404, "ResourceNotFound"},
                  row{error_code::conflict, 409, "ConflictError"},
                  row{error_code::insufficient_capacity, 409, "InsufficientCapacity"},
                  row{error_code::not_supported, 400, "NotSupported"},
                  row{error_code::change_not_allowed_in_place, 400, "ChangeNotAllowedInPlace"},
                  row{error_code::unknown_operation, 400, "UnknownOperation"},
                  row{error_code::internal, 500, "InternalError"},
                  row{error_code::unavailable, 503, "ServiceUnavailable"}}) {
    auto res = error_result({r.code, "why"});
    EXPECT_EQ(res.status, r.status) << r.text;
    EXPECT_EQ(res.body, (nlohmann::json{{"error", {{"code", r.text}, {"message", "why"}}}}));
  }
}

TEST(api_json, bodies_parse_into_typed_requests_with_the_members_errors) {
  auto dep = parse_operation("deploy", {"svc", "staging",
                                        R"({"csdef":"d","cscfg":"c","image":"base",
                                            "start":false,"phase_ms":{"start_role":5}})"});
  ASSERT_TRUE(dep) << dep.err().message;
  auto& d = std::get<deploy_request>(*dep);
  EXPECT_EQ(d.target.service, "svc");
  EXPECT_EQ(d.target.slot, "staging");
  EXPECT_EQ(d.image, "base");
  EXPECT_FALSE(d.start);
  EXPECT_EQ(d.phase_ms.at("start_role"), 5u);
  auto up = parse_operation("upgrade", {"svc", "production",
                                        R"({"image":"v2","order":[1,0],"timeout_s":2.5})"});
  ASSERT_TRUE(up);
  auto& u = std::get<upgrade_deployment_request>(*up);
  EXPECT_EQ(u.order, (std::vector<int>{1, 0}));
  EXPECT_EQ(*u.timeout_s, 2.5);
  EXPECT_FALSE(u.mode);
  // Empty bodies: {} for upgrade, walk, rollback, redeploy (blank too).
  EXPECT_TRUE(parse_operation("rollback", {"svc", "production", ""}));
  EXPECT_TRUE(parse_operation("redeploy", {"svc", "production", " \n"}));
  struct bad {
    const char* kind;
    const char* body;
    const char* message;
  };
  for (auto& b :
       {bad{"deploy", "[1]", "the request body is not a JSON object"},
        bad{"deploy", R"({"cscfg":"c","image":"i"})", "missing string member 'csdef'"},
        bad{"deploy", R"({"csdef":"d","cscfg":"c","image":"i","phase_ms":{"x":-1}})",
            "phase_ms.x must be an integer in 0..600000"},
        bad{"set_status", "{}",
            "missing string member 'status': expected \"Running\" or \"Suspended\""},
        bad{"set_reboot_quirk", R"({"probability":1.5})",
            "probability must be between 0 and 1, got 1.5"},
        bad{"upgrade", R"({"force":"yes"})", "member 'force' must be true or false"},
        bad{"upgrade", R"({"order":[0,"1"]})",
            "member 'order' must be an array of upgrade domains, e.g. [0, 2, 1]"},
        bad{"walk", "{}", "missing integer member 'upgrade_domain'"},
        bad{"rollback", R"({"mode":1})", "member 'mode' must be auto, manual or simultaneous"},
        bad{"redeploy", R"({"image":2})", "member 'image' must be a string"}}) {
    auto r = parse_operation(b.kind, {"svc", "production", b.body});
    ASSERT_FALSE(r) << b.kind << " " << b.body;
    EXPECT_EQ(r.err(), (request_error{error_code::bad_request, b.message})) << b.kind;
  }
  auto unknown = parse_operation("teleport", {"svc", "production", "{}"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.err().code, error_code::unknown_operation);
  EXPECT_EQ(unknown.err().message, "unknown operation 'teleport'");
}

TEST(api_json, accepted_operations_show_the_members_that_are_set) {
  operation_accepted a;
  a.operation_id = "op-3";
  a.info.deployment = "blue";
  a.info.instances_added = 2;
  EXPECT_EQ(to_json(a), (nlohmann::json{{"operation_id", "op-3"},
                                        {"status", "InProgress"},
                                        {"deployment", "blue"},
                                        {"instances_added", 2}}));
  operation_accepted swap;
  swap.operation_id = "op-4";
  swap.status = op_status::succeeded;
  swap.info.swapped = true;
  swap.info.production = "green";
  EXPECT_EQ(to_json(swap), (nlohmann::json{{"operation_id", "op-4"},
                                           {"status", "Succeeded"},
                                           {"production", "green"},
                                           {"staging", nullptr}}));
  operation_view failed{"op-5", "upgrade", "svc", model::slot::staging, op_status::failed, 1,
                        "rolled back"};
  EXPECT_EQ(to_json(failed),
            (nlohmann::json{{"id", "op-5"},
                            {"kind", "upgrade"},
                            {"service", "svc"},
                            {"slot", "staging"},
                            {"status", "Failed"},
                            {"pending_commands", 1},
                            {"error", {{"code", "OperationFailed"}, {"message", "rolled back"}}}}));
}

} // namespace
} // namespace fabric::coordinator
