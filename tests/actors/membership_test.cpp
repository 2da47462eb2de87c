// The coordinator's membership table (pure): registration epochs, heartbeat
// verdicts, down declarations.

#include <gtest/gtest.h>

#include "coordinator/membership.hpp"

namespace fabric::coordinator {
namespace {

using namespace std::chrono_literals;

protocol::node_register reg(std::string name, uint32_t fd = 0) {
  protocol::node_register r;
  r.node_name = std::move(name);
  r.fault_domain = fd;
  r.advertise_host = "127.0.0.1";
  r.capacity = 4;
  return r;
}

protocol::heartbeat hb(std::string name, uint64_t epoch, uint64_t seq = 1) {
  return protocol::heartbeat{std::move(name), epoch, seq, 0, {}};
}

struct membership_test : ::testing::Test {
  membership table{{100ms, 3}, 10};
  steady_time t0{};
};

TEST_F(membership_test, registration_gives_increasing_epochs_and_the_interval) {
  auto a = table.on_register(reg("a", 1), "peer-a", {1, 1}, t0);
  auto b = table.on_register(reg("b", 2), "peer-b", {1, 0}, t0);
  EXPECT_TRUE(a.accepted);
  EXPECT_EQ(a.node_epoch, 10u);
  EXPECT_EQ(b.node_epoch, 11u);
  EXPECT_EQ(a.heartbeat_interval_ms, 100u);
  EXPECT_EQ(a.missed_heartbeats, 3u);  // the whole detection policy (1.3)
  ASSERT_EQ(table.members().size(), 2u);
  auto& m = table.members().at("b");
  EXPECT_EQ(m.fault_domain, 2u);
  EXPECT_EQ(m.peer, "peer-b");
  EXPECT_EQ(m.state, node_state::up);
  EXPECT_EQ(m.version, (protocol::protocol_version{1, 0}));
}

TEST_F(membership_test, registration_without_a_name_is_refused) {
  auto ack = table.on_register(reg(""), "p", {1, 1}, t0);
  EXPECT_FALSE(ack.accepted);
  EXPECT_EQ(ack.reason, "node_register without a node name");
  EXPECT_TRUE(table.members().empty());
  EXPECT_EQ(table.counters().registrations_refused, 1u);
}

TEST_F(membership_test, heartbeats_keep_a_node_up) {
  auto e = table.on_register(reg("a"), "p", {1, 1}, t0).node_epoch;
  for (int i = 1; i <= 10; ++i) {
    EXPECT_EQ(table.on_heartbeat(hb("a", e, i), "p", t0 + i * 100ms), heartbeat_verdict::accepted);
    EXPECT_TRUE(table.check(t0 + i * 100ms + 50ms).empty());
  }
  EXPECT_EQ(table.members().at("a").last_seq, 10u);
}

TEST_F(membership_test, silent_node_is_declared_down_once_after_k_intervals) {
  table.on_register(reg("a"), "p", {1, 1}, t0);
  EXPECT_TRUE(table.check(t0 + 300ms).empty());
  EXPECT_EQ(table.check(t0 + 301ms), (std::vector<std::string>{"a"}));
  EXPECT_EQ(table.members().at("a").state, node_state::down);
  EXPECT_TRUE(table.check(t0 + 900ms).empty());
  EXPECT_EQ(table.counters().nodes_declared_down, 1u);
}

TEST_F(membership_test, down_node_must_register_again_and_gets_a_new_epoch) {
  auto e1 = table.on_register(reg("a"), "p", {1, 1}, t0).node_epoch;
  table.check(t0 + 1s);
  EXPECT_EQ(table.on_heartbeat(hb("a", e1), "p", t0 + 1s), heartbeat_verdict::node_down);
  EXPECT_EQ(table.members().at("a").state, node_state::down);
  auto e2 = table.on_register(reg("a"), "p", {1, 1}, t0 + 1100ms).node_epoch;
  EXPECT_GT(e2, e1);
  EXPECT_EQ(table.members().at("a").state, node_state::up);
  EXPECT_EQ(table.on_heartbeat(hb("a", e2), "p", t0 + 1200ms), heartbeat_verdict::accepted);
}

TEST_F(membership_test, stale_epoch_heartbeat_is_ignored_for_liveness) {
  auto e1 = table.on_register(reg("a"), "p", {1, 1}, t0).node_epoch;
  table.on_register(reg("a"), "p", {1, 1}, t0 + 100ms);
  EXPECT_EQ(table.on_heartbeat(hb("a", e1), "p", t0 + 350ms), heartbeat_verdict::stale_epoch);
  // last heard is still the re-registration at t0+100ms
  EXPECT_EQ(table.check(t0 + 401ms), (std::vector<std::string>{"a"}));
  EXPECT_EQ(table.counters().heartbeats_stale_epoch, 1u);
}

TEST_F(membership_test, heartbeat_from_unknown_node) {
  EXPECT_EQ(table.on_heartbeat(hb("ghost", 1), "p", t0), heartbeat_verdict::unknown_node);
  EXPECT_TRUE(table.members().empty());
}

TEST_F(membership_test, heartbeat_updates_instances_and_peer) {
  auto e = table.on_register(reg("a"), "p1", {1, 1}, t0).node_epoch;
  auto h = hb("a", e);
  h.instances = {{"Web_IN_0", "ReadyRole", "v1", "127.0.0.1:9000"}};
  table.on_heartbeat(h, "p2", t0 + 100ms);
  auto& m = table.members().at("a");
  EXPECT_EQ(m.peer, "p2");
  ASSERT_EQ(m.instances.size(), 1u);
  EXPECT_EQ(m.instances[0].state, "ReadyRole");
}

// Issue 10: `fabricctl nodes` showed 0 instances on every node because each
// lazy heartbeat's empty list replaced the node's list.
TEST_F(membership_test, a_lazy_heartbeats_empty_list_keeps_the_instances) {
  auto e = table.on_register(reg("a"), "p", {1, 3}, t0).node_epoch;
  auto full = hb("a", e, 1);
  full.instances = {{"tw.Web_IN_0", "ReadyRole", "v1", "127.0.0.1:9000"},
                    {"tw.Web_IN_1", "ReadyRole", "v1", "127.0.0.1:9001"}};
  full.full_list = true;
  ASSERT_EQ(table.on_heartbeat(full, "p", t0 + 100ms), heartbeat_verdict::accepted);
  for (uint64_t seq = 2; seq <= 5; ++seq)  // lazy: empty, not the full list
    ASSERT_EQ(table.on_heartbeat(hb("a", e, seq), "p", t0 + seq * 100ms),
              heartbeat_verdict::accepted);
  EXPECT_EQ(table.members().at("a").instances.size(), 2u);
  EXPECT_EQ(table.members().at("a").last_seq, 5u);

  // A full list replaces it, even an empty one (everything was removed).
  auto fewer = hb("a", e, 6);
  fewer.instances = {full.instances[1]};
  fewer.full_list = true;
  table.on_heartbeat(fewer, "p", t0 + 600ms);
  ASSERT_EQ(table.members().at("a").instances.size(), 1u);
  EXPECT_EQ(table.members().at("a").instances[0].instance_name, "tw.Web_IN_1");
  auto none = hb("a", e, 7);
  none.full_list = true;
  table.on_heartbeat(none, "p", t0 + 700ms);
  EXPECT_TRUE(table.members().at("a").instances.empty());

  // A 1.2 node does not set full_list: its non-empty lists are full ones.
  auto old = hb("a", e, 8);
  old.instances = {full.instances[0]};
  table.on_heartbeat(old, "p", t0 + 800ms);
  EXPECT_EQ(table.members().at("a").instances.size(), 1u);
}

} // namespace
} // namespace fabric::coordinator
