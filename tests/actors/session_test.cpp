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
  s.on_heartbeat_ack({1, 0}, t0 + 100ms);
  EXPECT_TRUE(std::holds_alternative<protocol::heartbeat>(*tick(t0 + 400ms)));
  auto out = tick(t0 + 401ms);
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::holds_alternative<protocol::node_register>(*out));
  EXPECT_FALSE(s.registered());
}

} // namespace
} // namespace fabric::node
