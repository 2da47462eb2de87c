// The node actor on CAF's deterministic scheduler: registration, heartbeats,
// re-registration, and the instance-command extension point.

#include <gtest/gtest.h>

#include "node/node_actor.hpp"
#include "tests/actors/test_system.hpp"

namespace fabric::node {
namespace {

using namespace std::chrono_literals;
using actors::peer_message;

struct node_actor_test : ::testing::Test {
  testing::deterministic_system ds;
  std::shared_ptr<transport::inmem_network> net
    = std::make_shared<transport::inmem_network>(std::mt19937_64(1));
  std::unique_ptr<transport::inmem_endpoint> coord = net->attach("coord");
  std::shared_ptr<transport::inmem_endpoint> link{net->attach("node-a", "coord")};
  caf::actor agent;
  std::shared_ptr<lease> serving = std::make_shared<lease>();

  void start(caf::actor commands = {}) {
    net->auto_deliver(true);
    node_actor_config cfg;
    cfg.identity = {"node-a", 2, "127.0.0.1", 4, "0.1.0"};
    cfg.detector = {100ms, 3};
    cfg.held = [] {
      return std::vector<protocol::held_instance>{{"Web_IN_0", "dep", "v1", true, {}}};
    };
    cfg.commands = commands;
    cfg.serving_lease = serving;
    agent = ds.sys->spawn(node_actor, cfg, std::static_pointer_cast<transport::transport>(link));
    ds.run();
  }

  void TearDown() override { caf::anon_send_exit(agent, caf::exit_reason::user_shutdown); }

  template <class T>
  void from_coordinator(T msg) {
    caf::anon_send(agent, peer_message{"", protocol::current_version, 0, std::move(msg)});
    ds.run();
  }

  std::vector<protocol::decoded_frame> sent() { return testing::drain(*coord); }

  node_actor_state& st() { return ds.state_of<node_actor_state>(agent); }
  actors::steady_time now() { return ds.sched->clock().now(); }
};

TEST_F(node_actor_test, registers_at_start_with_what_it_holds) {
  start();
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto& reg = std::get<protocol::node_register>(frames[0].message);
  EXPECT_EQ(reg.node_name, "node-a");
  EXPECT_EQ(reg.fault_domain, 2u);
  ASSERT_EQ(reg.held_instances.size(), 1u);
  EXPECT_EQ(reg.held_instances[0].instance_name, "Web_IN_0");
}

TEST_F(node_actor_test, heartbeats_every_interval_after_the_ack) {
  start();
  sent();
  from_coordinator(protocol::register_ack{true, "", 42, 100});
  // Acked heartbeats keep the node unfenced; each interval sends exactly one.
  for (int i = 0; i < 5; ++i) {
    ds.advance(100ms, 100ms);
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u) << "interval " << i;
    auto* hb = std::get_if<protocol::heartbeat>(&frames[0].message);
    ASSERT_NE(hb, nullptr) << "interval " << i;
    EXPECT_EQ(hb->epoch, 42u);
    from_coordinator(protocol::heartbeat_ack{hb->seq, hb->sent_at_us});
  }
}

TEST_F(node_actor_test, unacked_heartbeats_fence_and_register_again_after_k_intervals) {
  start();
  sent();
  from_coordinator(protocol::register_ack{true, "", 42, 100});
  ds.advance(200ms, 100ms);
  EXPECT_EQ(sent().size(), 2u);
  EXPECT_FALSE(st().fenced);
  ds.advance(100ms, 100ms);  // k = 3 intervals without an ack
  EXPECT_TRUE(st().fenced);
  bool registers = false;
  for (auto& f : sent())
    registers = registers || std::holds_alternative<protocol::node_register>(f.message);
  EXPECT_TRUE(registers);
}

TEST_F(node_actor_test, register_required_makes_it_register_again) {
  start();
  sent();
  from_coordinator(protocol::register_ack{true, "", 42, 100});
  from_coordinator(protocol::register_required{"node-a", 42, "node declared down"});
  EXPECT_FALSE(st().sess.registered());
  ds.advance(100ms, 100ms);
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<protocol::node_register>(frames[0].message));
}

TEST_F(node_actor_test, instance_command_without_handler_answers_not_implemented) {
  start();
  sent();
  protocol::instance_command cmd;
  cmd.command_id = 77;
  cmd.kind = protocol::command_kind::reimage;
  from_coordinator(cmd);
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto& r = std::get<protocol::instance_command_result>(frames[0].message);
  EXPECT_EQ(r.command_id, 77u);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "not implemented: reimage");
}

TEST_F(node_actor_test, instance_command_goes_to_the_handler_actor) {
  auto handler = ds.sys->spawn([]() -> caf::behavior {
    return {[](const protocol::instance_command& c) {
      return protocol::instance_command_result{c.command_id, true, ""};
    }};
  });
  start(handler);
  sent();
  protocol::instance_command cmd;
  cmd.command_id = 78;
  from_coordinator(cmd);
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto& r = std::get<protocol::instance_command_result>(frames[0].message);
  EXPECT_EQ(r.command_id, 78u);
  EXPECT_TRUE(r.ok);
  caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_F(node_actor_test, the_serving_lease_follows_the_acks_and_is_revoked_when_fenced) {
  start();
  sent();
  EXPECT_FALSE(serving->valid(now()));  // never registered: serves nothing
  from_coordinator(protocol::register_ack{true, "", 42, 100});
  EXPECT_TRUE(serving->valid(now()));
  ds.advance(100ms, 100ms);
  auto hb = std::get<protocol::heartbeat>(sent().at(0).message);
  from_coordinator(protocol::heartbeat_ack{hb.seq, hb.sent_at_us});
  EXPECT_TRUE(serving->valid(now() + 299ms));   // k*H from the heartbeat's send time
  EXPECT_FALSE(serving->valid(now() + 300ms));
  ds.advance(300ms, 100ms);  // no more acks
  EXPECT_TRUE(st().fenced);
  EXPECT_FALSE(serving->valid(now()));
}

// Issue 14 item 4: kill -STOP past the lease, then -CONT. What was waiting
// (a heartbeat_ack in the socket, the timers) is handled after the resume in
// any order; the first thing the node does is fence, and the stale ack does
// not renew anything.
TEST_F(node_actor_test, a_node_paused_past_its_lease_fences_before_anything_else) {
  start();
  sent();
  from_coordinator(protocol::register_ack{true, "", 42, 100});
  ds.advance(100ms, 100ms);
  auto hb = std::get<protocol::heartbeat>(sent().at(0).message);
  // The ack arrives, then the process stops for 3 s: nothing runs.
  caf::anon_send(agent, peer_message{"", protocol::current_version, 0,
                                     protocol::heartbeat_ack{hb.seq, hb.sent_at_us}});
  ds.sched->advance_time(3s);
  EXPECT_FALSE(serving->valid(now()));  // the HTTP handlers refuse at once
  ASSERT_TRUE(ds.sched->try_run_once());  // CONT: the first message is the stale ack
  EXPECT_TRUE(st().fenced);
  EXPECT_FALSE(st().sess.registered());
  EXPECT_FALSE(serving->valid(now()));
  ds.run();
  bool registers = false;
  for (auto& f : sent())
    registers = registers || std::holds_alternative<protocol::node_register>(f.message);
  EXPECT_TRUE(registers);
  // Confirmed by a new registration: serving again.
  from_coordinator(protocol::register_ack{true, "", 43, 100});
  EXPECT_FALSE(st().fenced);
  EXPECT_TRUE(serving->valid(now()));
}

// Found by the sim (lossy network, seed 2): a fenced node that executed a
// start resent by the coordinator served an instance already re-placed.
TEST_F(node_actor_test, a_fenced_node_runs_no_command_until_registered_again) {
  int handled = 0;
  auto handler = ds.sys->spawn([&handled]() -> caf::behavior {
    return {[&handled](const protocol::instance_command& c) {
      ++handled;
      return protocol::instance_command_result{c.command_id, true, ""};
    }};
  });
  start(handler);
  sent();
  from_coordinator(protocol::register_ack{true, "", 42, 100});
  from_coordinator(protocol::register_required{"node-a", 42, "node declared down"});
  ASSERT_TRUE(st().fenced);
  protocol::instance_command start_cmd;
  start_cmd.command_id = 5;
  start_cmd.kind = protocol::command_kind::start;
  from_coordinator(start_cmd);  // dropped: resent / reconciled later
  EXPECT_TRUE(sent().empty());
  protocol::instance_command reboot;
  reboot.command_id = 6;
  reboot.kind = protocol::command_kind::reboot;
  from_coordinator(reboot);  // refused
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto& r = std::get<protocol::instance_command_result>(frames[0].message);
  EXPECT_EQ(r.command_id, 6u);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(handled, 0);
  // Registered again: commands run.
  ds.advance(100ms, 100ms);
  sent();
  from_coordinator(protocol::register_ack{true, "", 43, 100});
  ASSERT_FALSE(st().fenced);
  from_coordinator(start_cmd);
  EXPECT_EQ(handled, 1);
  caf::anon_send_exit(handler, caf::exit_reason::user_shutdown);
}

TEST_F(node_actor_test, the_coordinators_missed_heartbeats_set_the_fence) {
  start();
  sent();
  protocol::register_ack ack{true, "", 42, 100};
  ack.missed_heartbeats = 10;  // the node was started with 3
  from_coordinator(ack);
  ds.advance(900ms, 100ms);
  EXPECT_FALSE(st().fenced);  // 3 intervals would have fenced it
  ds.advance(100ms, 100ms);
  EXPECT_TRUE(st().fenced);
}

} // namespace
} // namespace fabric::node
