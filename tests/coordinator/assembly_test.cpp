// coordinator/assembly.hpp on CAF's deterministic scheduler over the
// in-memory transport: spawn_coordinator_actors spawns the three actors with
// the membership actor reporting to the controller, and route() sends each
// kind of node frame to the right one. No sleeps; nothing detached.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "actors/bridge.hpp"
#include "coordinator/assembly.hpp"
#include "coordinator/image_catalog.hpp"
#include "tests/actors/test_system.hpp"
#include "tests/integration/process_harness.hpp"

namespace fabric::coordinator {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct assembly_test : ::testing::Test {
  std::string dir = fabric::testing::temp_dir("fabric-assembly");
  fabric::testing::deterministic_system ds;
  std::shared_ptr<transport::inmem_network> net
    = std::make_shared<transport::inmem_network>(std::mt19937_64(1));
  std::shared_ptr<transport::inmem_endpoint> coord{net->attach("coord")};
  std::unique_ptr<transport::inmem_endpoint> node = net->attach("node-a", "coord");
  memory_model_port store;
  image_catalog catalog{fs::path(dir) / "coordinator"};
  std::shared_ptr<controller> core;
  coordinator_actors spawned;
  std::unique_ptr<actors::transport_bridge> bridge;

  void SetUp() override {
    net->auto_deliver(true);
    ASSERT_TRUE(catalog.load().ok());
    core = std::make_shared<controller>(store, &catalog, controller_config{});
    assembly_config cfg;
    cfg.membership.detector = {100ms, 3};
    cfg.membership.first_epoch = 41;
    cfg.dedicated_threads = false;  // the test scheduler runs everything
    spawned = spawn_coordinator_actors(*ds.sys, core, &catalog,
                                       std::static_pointer_cast<transport::transport>(coord), cfg);
    bridge = std::make_unique<actors::transport_bridge>(*coord);
    spawned.route(*bridge);
    ds.run();
  }

  void TearDown() override {
    spawned.stop();
    ds.run();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  /// The node sends `msg`; the bridge dispatches it; every actor runs.
  template <class T>
  void from_node(const T& msg) {
    node->send("coord", protocol::encode(msg, 5));
    ASSERT_TRUE(bridge->poll_once(0ms)) << "the frame did not reach the coordinator";
    ds.run();
  }
};

TEST_F(assembly_test, spawns_three_distinct_live_actors) {
  EXPECT_TRUE(spawned.controller);
  EXPECT_TRUE(spawned.membership);
  EXPECT_TRUE(spawned.image_server);
  EXPECT_NE(spawned.controller, spawned.membership);
  EXPECT_NE(spawned.controller, spawned.image_server);
  EXPECT_NE(spawned.membership, spawned.image_server);
}

TEST_F(assembly_test, a_registration_goes_to_membership_which_tells_the_controller) {
  protocol::node_register reg;
  reg.node_name = "node-a";
  reg.fault_domain = 2;
  reg.capacity = 4;
  from_node(reg);
  auto frames = fabric::testing::drain(*node);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<protocol::register_ack>(frames[0].message));
  // The membership actor's epoch, configured through the assembly.
  EXPECT_EQ(std::get<protocol::register_ack>(frames[0].message).node_epoch, 41u);
  // Its listener is the controller actor: the controller now knows the node.
  ASSERT_EQ(core->nodes().count("node-a"), 1u);
  EXPECT_EQ(core->nodes().at("node-a").fault_domain, 2);
}

TEST_F(assembly_test, an_image_request_goes_to_the_image_server) {
  protocol::image_request req;
  req.digest = std::string(64, 'a');  // not in the catalog: one empty, last chunk
  from_node(req);
  auto frames = fabric::testing::drain(*node);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<protocol::image_chunk>(frames[0].message));
  const auto& chunk = std::get<protocol::image_chunk>(frames[0].message);
  EXPECT_EQ(chunk.digest, req.digest);
  EXPECT_TRUE(chunk.last);
  EXPECT_TRUE(chunk.data.empty());
}

TEST_F(assembly_test, an_instance_report_goes_to_the_controller_not_to_membership) {
  protocol::instance_report report;
  report.instance_name = "tw.Web_IN_0";
  report.state = "ReadyRole";
  from_node(report);  // from a node the controller does not know: counted, ignored
  EXPECT_EQ(core->counters().reports_ignored, 1u);
  EXPECT_EQ(ds.state_of<membership_actor_state>(spawned.membership).unhandled, 0u);
  EXPECT_EQ(bridge->counters().forwarded, 1u);
  EXPECT_EQ(bridge->counters().unrouted, 0u);
}

TEST_F(assembly_test, stop_ends_every_actor) {
  auto downs = std::make_shared<int>(0);
  std::vector<caf::actor> targets{spawned.controller, spawned.membership, spawned.image_server};
  auto watcher = ds.sys->spawn([downs, targets](caf::event_based_actor* self) -> caf::behavior {
    for (const auto& t : targets)
      self->monitor(t);
    self->set_down_handler([downs](caf::down_msg&) { ++*downs; });
    return {[](int) {}};
  });
  ds.run();
  EXPECT_EQ(*downs, 0);
  spawned.stop();
  ds.run();
  EXPECT_EQ(*downs, 3);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  ds.run();
}

} // namespace
} // namespace fabric::coordinator
