// The node actor's side of the runtime contract on the deterministic
// scheduler: fencing after k*H without an ack (and on register_required),
// unfencing on registration, full instance lists only on the first heartbeat
// after registration and every 20th, `held` asked only when registering.

#include <gtest/gtest.h>

#include "node/node_actor.hpp"
#include "tests/actors/test_system.hpp"

namespace fabric::node {
namespace {

using namespace std::chrono_literals;
using actors::peer_message;

struct node_fencing_test : ::testing::Test {
  testing::deterministic_system ds;
  std::shared_ptr<transport::inmem_network> net
    = std::make_shared<transport::inmem_network>(std::mt19937_64(1));
  std::unique_ptr<transport::inmem_endpoint> coord = net->attach("coord");
  std::shared_ptr<transport::inmem_endpoint> link{net->attach("node-a", "coord")};
  caf::actor agent;
  std::shared_ptr<std::vector<bool>> fences = std::make_shared<std::vector<bool>>();
  std::shared_ptr<int> held_calls = std::make_shared<int>(0);
  std::shared_ptr<int> list_calls = std::make_shared<int>(0);

  void SetUp() override {
    net->auto_deliver(true);
    node_actor_config cfg;
    cfg.identity = {"node-a", 1, "127.0.0.1", 4, "0.1.0"};
    cfg.detector = {100ms, 3};
    cfg.held = [c = held_calls] {
      ++*c;
      return std::vector<protocol::held_instance>{};
    };
    cfg.instances = [c = list_calls] {
      ++*c;
      return std::vector<protocol::instance_status>{{"Web_IN_0", "ReadyRole", "v1", ""}};
    };
    cfg.on_fence = [f = fences](bool fenced) { f->push_back(fenced); };
    agent = ds.sys->spawn(node_actor, cfg, std::static_pointer_cast<transport::transport>(link));
    ds.run();
  }

  void TearDown() override { caf::anon_send_exit(agent, caf::exit_reason::user_shutdown); }

  template <class T>
  void from_coordinator(T msg) {
    caf::anon_send(agent, peer_message{"", protocol::current_version, 0, std::move(msg)});
    ds.run();
  }

  /// Acks every heartbeat sent so far; returns the heartbeats.
  std::vector<protocol::heartbeat> ack_all() {
    std::vector<protocol::heartbeat> out;
    for (auto& f : testing::drain(*coord))
      if (auto* hb = std::get_if<protocol::heartbeat>(&f.message)) {
        out.push_back(*hb);
        from_coordinator(protocol::heartbeat_ack{hb->seq, hb->sent_at_us});
      }
    return out;
  }
};

TEST_F(node_fencing_test, fences_after_k_intervals_without_an_ack_and_unfences_on_registration) {
  from_coordinator(protocol::register_ack{true, "", 7, 100});
  for (int i = 0; i < 5; ++i) {
    ds.advance(100ms, 10ms);
    ack_all();
  }
  EXPECT_TRUE(fences->empty());
  // The coordinator goes silent: fenced once 3 x 100 ms pass without an ack.
  ds.advance(290ms, 10ms);
  EXPECT_TRUE(fences->empty());
  ds.advance(20ms, 10ms);
  ASSERT_EQ(*fences, std::vector<bool>{true});
  ds.advance(500ms, 10ms);
  EXPECT_EQ(fences->size(), 1u); // once
  from_coordinator(protocol::register_ack{true, "", 8, 100});
  EXPECT_EQ(*fences, (std::vector<bool>{true, false}));
}

TEST_F(node_fencing_test, register_required_fences_at_once) {
  from_coordinator(protocol::register_ack{true, "", 7, 100});
  from_coordinator(protocol::register_required{"node-a", 7, "declared down"});
  EXPECT_EQ(*fences, std::vector<bool>{true});
}

TEST_F(node_fencing_test, full_instance_list_on_the_first_heartbeat_and_every_20th) {
  EXPECT_EQ(*held_calls, 1); // the registration at start
  testing::drain(*coord);
  from_coordinator(protocol::register_ack{true, "", 7, 100});
  std::vector<protocol::heartbeat> beats;
  for (int i = 0; i < 41; ++i) {
    ds.advance(100ms, 100ms);
    for (auto& hb : ack_all())
      beats.push_back(hb);
  }
  ASSERT_EQ(beats.size(), 41u);
  for (std::size_t i = 0; i < beats.size(); ++i)
    EXPECT_EQ(beats[i].instances.size(), i % 20 == 0 ? 1u : 0u) << "heartbeat " << i;
  EXPECT_EQ(*list_calls, 3);
  EXPECT_EQ(*held_calls, 1); // not asked again while heartbeating
}

} // namespace
} // namespace fabric::node
