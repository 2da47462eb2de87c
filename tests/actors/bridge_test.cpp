// The transport bridge: decoded frames reach the routed actor, bad frames are
// counted by kind and dropped.

#include <gtest/gtest.h>

#include "actors/bridge.hpp"
#include "tests/actors/test_system.hpp"

namespace fabric::actors {
namespace {

using namespace std::chrono_literals;

struct bridge_test : ::testing::Test {
  testing::deterministic_system ds;
  std::shared_ptr<transport::inmem_network> net
    = std::make_shared<transport::inmem_network>(std::mt19937_64(1));
  std::unique_ptr<transport::inmem_endpoint> coord = net->attach("coord");
  std::unique_ptr<transport::inmem_endpoint> node = net->attach("node-a", "coord");
  std::vector<peer_message> got;
  caf::actor sink;

  void SetUp() override {
    net->auto_deliver(true);
    sink = ds.sys->spawn([this]() -> caf::behavior {
      return {[this](const peer_message& m) { got.push_back(m); }};
    });
  }
  void TearDown() override { caf::anon_send_exit(sink, caf::exit_reason::user_shutdown); }
};

TEST_F(bridge_test, decoded_frame_reaches_the_routed_actor_with_its_sender) {
  transport_bridge bridge{*coord};
  bridge.route(protocol::heartbeat::type_id, sink);
  node->send({}, protocol::encode(protocol::heartbeat{"node-a", 1, 2, 3, {}}, 5));
  ASSERT_TRUE(bridge.poll_once(0ms));
  ds.run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].peer, "node-a");
  EXPECT_EQ(got[0].correlation_id, 5u);
  EXPECT_EQ(std::get<protocol::heartbeat>(got[0].message).seq, 2u);
  EXPECT_EQ(bridge.counters().forwarded, 1u);
}

TEST_F(bridge_test, unrouted_type_is_counted) {
  transport_bridge bridge{*coord};
  bridge.route(protocol::heartbeat::type_id, sink);
  node->send({}, protocol::encode(protocol::image_request{"d"}));
  bridge.poll_once(0ms);
  ds.run();
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(bridge.counters().unrouted, 1u);
}

TEST_F(bridge_test, bad_frames_are_counted_by_kind_and_dropped) {
  transport_bridge bridge{*coord, protocol::decode_limits{1000}};
  bridge.route_default(sink);
  node->send({}, "garbage");
  node->send({}, protocol::encode(protocol::image_chunk{"d", 0, std::vector<char>(2000), true}));
  node->send({}, protocol::encode_envelope({protocol::current_version, 999, 0, "x"}));
  node->send({}, protocol::encode(protocol::heartbeat_ack{}, 0, {7, 0}));
  node->send({}, protocol::encode_envelope({protocol::current_version, 3, 0, "\x01"}));
  while (bridge.poll_once(0ms)) {
  }
  ds.run();
  EXPECT_TRUE(got.empty());
  auto c = bridge.counters();
  EXPECT_EQ(c.frames_in, 5u);
  EXPECT_EQ(c.malformed, 2u);
  EXPECT_EQ(c.oversized, 1u);
  EXPECT_EQ(c.unknown_type, 1u);
  EXPECT_EQ(c.unsupported_version, 1u);
  EXPECT_EQ(c.forwarded, 0u);
}

} // namespace
} // namespace fabric::actors
