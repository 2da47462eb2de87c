// The node's session logic (pure): when to register, heartbeat, re-register.

#include <gtest/gtest.h>

#include "node/session.hpp"

namespace fabric::node {
namespace {

using namespace std::chrono_literals;

struct session_test : ::testing::Test {
  session s{{"node-a", 1, "10.0.0.1", 4, "0.1.0"}, {100ms, 3}};
  steady_time t0{};
  std::optional<outbound> tick(steady_time t) { return s.on_tick(t, {}, {}); }
  void ack(uint64_t epoch, steady_time t, uint32_t interval = 100) {
    s.on_register_ack({true, "", epoch, interval}, t);
  }
};

TEST_F(session_test, first_tick_registers_with_the_identity) {
  auto out = tick(t0);
  ASSERT_TRUE(out);
  auto* reg = std::get_if<protocol::node_register>(&*out);
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->node_name, "node-a");
  EXPECT_EQ(reg->fault_domain, 1u);
  EXPECT_EQ(reg->advertise_host, "10.0.0.1");
  EXPECT_EQ(reg->capacity, 4u);
  EXPECT_EQ(reg->agent_version, "0.1.0");
}

TEST_F(session_test, register_is_retried_only_after_the_timeout) {
  tick(t0);
  EXPECT_FALSE(tick(t0 + 100ms));
  EXPECT_FALSE(tick(t0 + 299ms));
  EXPECT_TRUE(tick(t0 + 300ms));
}

TEST_F(session_test, after_ack_ticks_heartbeat_with_epoch_and_increasing_seq) {
  tick(t0);
  ack(7, t0 + 1ms);
  EXPECT_TRUE(s.registered());
  auto h1 = std::get<protocol::heartbeat>(*tick(t0 + 100ms));
  auto h2 = std::get<protocol::heartbeat>(*tick(t0 + 200ms));
  EXPECT_EQ(h1.epoch, 7u);
  EXPECT_EQ(h1.node_name, "node-a");
  EXPECT_EQ(h2.seq, h1.seq + 1);
}

TEST_F(session_test, ack_sets_the_heartbeat_interval) {
  tick(t0);
  ack(1, t0, 250);
  EXPECT_EQ(s.heartbeat_interval(), 250ms);
}

TEST_F(session_test, refused_ack_keeps_registering) {
  tick(t0);
  s.on_register_ack({false, "no", 0, 100}, t0);
  EXPECT_FALSE(s.registered());
}

TEST_F(session_test, register_required_for_current_epoch_re_registers) {
  tick(t0);
  ack(7, t0);
  s.on_register_required({"node-a", 7, "node declared down"});
  EXPECT_FALSE(s.registered());
  EXPECT_TRUE(std::holds_alternative<protocol::node_register>(*tick(t0 + 100ms)));
  ack(8, t0 + 110ms);
  EXPECT_EQ(s.epoch(), 8u);
  EXPECT_EQ(s.registrations(), 2u);
}

TEST_F(session_test, register_required_for_an_older_epoch_is_ignored) {
  tick(t0);
  ack(7, t0);
  s.on_register_required({"node-a", 6, "stale epoch"});
  EXPECT_TRUE(s.registered());
  EXPECT_EQ(s.epoch(), 7u);
}

TEST_F(session_test, late_ack_with_an_older_epoch_is_ignored) {
  tick(t0);
  ack(8, t0);
  ack(7, t0 + 10ms);
  EXPECT_EQ(s.epoch(), 8u);
}

TEST_F(session_test, silent_coordinator_makes_the_node_register_again) {
  tick(t0);
  ack(7, t0);
  auto hb = std::get<protocol::heartbeat>(*tick(t0 + 100ms));
  s.on_heartbeat_ack({hb.seq, hb.sent_at_us}, t0 + 101ms);
  // The lease runs k*H from the heartbeat's send time: until t0+400ms.
  EXPECT_EQ(s.lease_until(), t0 + 400ms);
  EXPECT_TRUE(std::holds_alternative<protocol::heartbeat>(*tick(t0 + 399ms)));
  auto out = tick(t0 + 400ms);
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<protocol::node_register>(*out));
  EXPECT_FALSE(s.registered());
}

// Issue 14 item 4: an ack that waited (the node was stopped) earns the lease
// of the heartbeat it answers, not a fresh one.
TEST_F(session_test, a_late_ack_does_not_extend_the_lease) {
  tick(t0);
  ack(7, t0);
  auto hb = std::get<protocol::heartbeat>(*tick(t0 + 100ms));
  // Stopped from t0+100ms to t0+3s; the ack was waiting in the socket.
  s.on_heartbeat_ack({hb.seq, hb.sent_at_us}, t0 + 3s);
  EXPECT_TRUE(s.lease_expired(t0 + 3s));
  auto out = tick(t0 + 3s);
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<protocol::node_register>(*out));
}

TEST_F(session_test, the_registration_lease_runs_from_its_send_time) {
  tick(t0);          // register sent at t0
  ack(7, t0 + 50ms);  // heard 50 ms later
  EXPECT_EQ(s.lease_until(), t0 + 300ms);
  EXPECT_FALSE(s.lease_expired(t0 + 299ms));
  EXPECT_TRUE(s.lease_expired(t0 + 300ms));
}

// Issue 10: the coordinator hands its whole detection policy to the node.
TEST_F(session_test, the_ack_carries_the_missed_heartbeats_and_the_lease_follows) {
  tick(t0);
  protocol::register_ack a{true, "", 7, 200};
  a.missed_heartbeats = 10;
  s.on_register_ack(a, t0);
  EXPECT_EQ(s.detector().missed_heartbeats, 10);
  EXPECT_EQ(s.heartbeat_interval(), 200ms);
  EXPECT_EQ(s.lease_until(), t0 + 2000ms);
  EXPECT_TRUE(std::holds_alternative<protocol::heartbeat>(*tick(t0 + 1999ms)));
  // A 1.2 coordinator (missed_heartbeats 0) leaves the node's own.
  session old{{"node-b", 0, "h", 1, "0.1.0"}, {100ms, 4}};
  old.on_tick(t0, {}, {});
  old.on_register_ack({true, "", 3, 100}, t0);
  EXPECT_EQ(old.detector().missed_heartbeats, 4);
}

TEST_F(session_test, heartbeats_flag_the_full_list) {
  tick(t0);
  ack(7, t0);
  std::vector<protocol::instance_status> none;
  auto first = std::get<protocol::heartbeat>(*s.on_tick_lazy(t0 + 100ms, {}, [&] { return none; }));
  EXPECT_TRUE(first.full_list);  // the first after registration: full (here empty)
  auto lazy = std::get<protocol::heartbeat>(*s.on_tick_lazy(t0 + 200ms, {}, [&] { return none; }));
  EXPECT_FALSE(lazy.full_list);
}

} // namespace
} // namespace fabric::node
