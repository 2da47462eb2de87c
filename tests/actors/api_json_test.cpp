// The JSON bodies of GET /fabric/v1/nodes and /stats, from a snapshot.

#include <gtest/gtest.h>

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

} // namespace
} // namespace fabric::coordinator
