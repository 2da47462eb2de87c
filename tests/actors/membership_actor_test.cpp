// The membership actor on CAF's deterministic scheduler, with an in-memory
// network standing in for ZeroMQ. No sleeps: time moves with advance().

#include <gtest/gtest.h>

#include "coordinator/membership_actor.hpp"
#include "tests/actors/test_system.hpp"

namespace fabric::coordinator {
namespace {

using namespace std::chrono_literals;
using actors::peer_message;

struct membership_actor_test : ::testing::Test {
  testing::deterministic_system ds;
  std::shared_ptr<transport::inmem_network> net
    = std::make_shared<transport::inmem_network>(std::mt19937_64(1));
  std::shared_ptr<transport::inmem_endpoint> coord{net->attach("coord")};
  std::unique_ptr<transport::inmem_endpoint> node = net->attach("node-a", "coord");
  caf::actor membership;

  void SetUp() override {
    net->auto_deliver(true);
    membership_actor_config cfg;
    cfg.detector = {100ms, 3};
    cfg.first_epoch = 50;
    membership = ds.sys->spawn(coordinator::membership_actor, cfg,
                               std::static_pointer_cast<transport::transport>(coord));
    ds.run();
  }

  void TearDown() override { caf::anon_send_exit(membership, caf::exit_reason::user_shutdown); }

  template <class T>
  void from_node(T msg, protocol::protocol_version v = protocol::current_version) {
    caf::anon_send(membership, peer_message{"node-a", v, 9, std::move(msg)});
    ds.run();
  }

  template <class T>
  T reply() {
    auto frames = testing::drain(*node);
    EXPECT_EQ(frames.size(), 1u);
    if (frames.empty() || !std::holds_alternative<T>(frames.back().message)) {
      ADD_FAILURE() << "no reply of the expected type";
      return T{};
    }
    EXPECT_EQ(frames.back().correlation_id, 9u);
    return std::get<T>(frames.back().message);
  }

  uint64_t register_node() {
    protocol::node_register reg;
    reg.node_name = "node-a";
    reg.fault_domain = 1;
    from_node(reg);
    return reply<protocol::register_ack>().node_epoch;
  }

  const member& node_a() { return ds.state_of<membership_actor_state>(membership).table.members().at("node-a"); }
};

TEST_F(membership_actor_test, register_is_acked_with_epoch_and_interval) {
  protocol::node_register reg;
  reg.node_name = "node-a";
  from_node(reg);
  auto ack = reply<protocol::register_ack>();
  EXPECT_TRUE(ack.accepted);
  EXPECT_EQ(ack.node_epoch, 50u);
  EXPECT_EQ(ack.heartbeat_interval_ms, 100u);
  EXPECT_EQ(node_a().state, node_state::up);
}

TEST_F(membership_actor_test, heartbeat_is_acked_with_seq_and_time_echoed) {
  auto epoch = register_node();
  from_node(protocol::heartbeat{"node-a", epoch, 3, 777, {}});
  auto ack = reply<protocol::heartbeat_ack>();
  EXPECT_EQ(ack.seq, 3u);
  EXPECT_EQ(ack.sent_at_us, 777u);
}

TEST_F(membership_actor_test, node_that_heartbeats_stays_up) {
  auto epoch = register_node();
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    ds.advance(100ms, 100ms);
    from_node(protocol::heartbeat{"node-a", epoch, seq, 0, {}});
  }
  EXPECT_EQ(node_a().state, node_state::up);
}

TEST_F(membership_actor_test, silent_node_goes_down_after_three_missed_heartbeats) {
  register_node();
  ds.advance(300ms, 100ms);
  EXPECT_EQ(node_a().state, node_state::up);
  ds.advance(100ms, 100ms);
  EXPECT_EQ(node_a().state, node_state::down);
}

TEST_F(membership_actor_test, down_node_is_told_to_register_and_comes_back_with_new_epoch) {
  auto e1 = register_node();
  ds.advance(500ms, 100ms);
  ASSERT_EQ(node_a().state, node_state::down);
  from_node(protocol::heartbeat{"node-a", e1, 5, 0, {}});
  auto req = reply<protocol::register_required>();
  EXPECT_EQ(req.epoch, e1);
  EXPECT_EQ(req.reason, "node declared down");
  EXPECT_EQ(node_a().state, node_state::down);
  auto e2 = register_node();
  EXPECT_GT(e2, e1);
  EXPECT_EQ(node_a().state, node_state::up);
}

TEST_F(membership_actor_test, stale_epoch_heartbeat_does_not_keep_a_node_alive) {
  auto e1 = register_node();
  auto e2 = register_node();
  ASSERT_NE(e1, e2);
  for (int i = 0; i < 5; ++i) {
    ds.advance(100ms, 100ms);
    from_node(protocol::heartbeat{"node-a", e1, 1, 0, {}});
    EXPECT_EQ(reply<protocol::register_required>().reason, "stale epoch");
  }
  EXPECT_EQ(node_a().state, node_state::down);
}

TEST_F(membership_actor_test, old_minor_version_node_is_accepted) {
  protocol::node_register reg;
  reg.node_name = "node-a";
  from_node(reg, protocol::protocol_version{1, 0});
  EXPECT_TRUE(reply<protocol::register_ack>().accepted);
  EXPECT_EQ(node_a().version, (protocol::protocol_version{1, 0}));
}

TEST_F(membership_actor_test, snapshot_lists_members_and_counters) {
  register_node();
  from_node(protocol::instance_report{"x", "ReadyRole", "v1", ""});
  caf::scoped_actor self{*ds.sys};
  self->send(membership, fabric::snapshot_atom_v);
  ds.run();
  bool got = false;
  self->receive([&](const membership_snapshot& snap) {
    got = true;
    ASSERT_EQ(snap.members.size(), 1u);
    EXPECT_EQ(snap.members[0].name, "node-a");
    EXPECT_EQ(snap.counters.registrations, 1u);
    EXPECT_EQ(snap.unhandled_messages, 1u);
  });
  EXPECT_TRUE(got);
}

} // namespace
} // namespace fabric::coordinator
