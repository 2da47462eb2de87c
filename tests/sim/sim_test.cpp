// The simulation tier: a whole cluster (coordinator, six nodes in three FDs)
// in one process on CAF's deterministic scheduler over the in-memory
// transport. Each seed deploys, injects random faults (node kills and
// restarts, partitions, dropped / duplicated / reordered frames), stops them
// and checks the invariants: no instance serves on two nodes at any moment;
// afterwards every instance is placed on exactly one live node, ReadyRole at
// the controller and on its node, and the FD rules hold.
//
// A failure prints its seed; FABRIC_SIM_SEED=<seed> runs only that seed
// (e.g. FABRIC_SIM_SEED=7 build/tests/sim_tests).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim/workload.hpp"

namespace fabric::sim {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

scenario_config base_config() {
  scenario_config cfg;
  cfg.csdef = read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef");
  cfg.cscfg = read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.cscfg");
  cfg.cluster.nodes = 6;
  cfg.cluster.fault_domains = 3;
  cfg.cluster.capacity = 20;
  return cfg;
}

/// The seeds to run: FABRIC_SIM_SEED alone when set, else `count` seeds from `first`.
std::vector<uint64_t> seeds(uint64_t first, int count) {
  if (auto s = seed_from_env())
    return {*s};
  std::vector<uint64_t> out;
  for (int i = 0; i < count; ++i)
    out.push_back(first + static_cast<uint64_t>(i));
  return out;
}

void run_seeds(const scenario_config& cfg, const std::vector<uint64_t>& list) {
  for (auto seed : list) {
    auto res = run_scenario(seed, cfg);
    EXPECT_TRUE(res.ok()) << res.report();
    if (res.ok())
      std::printf("[sim] seed %llu ok: %d faults, %llu re-placements, converged %lld ms after "
                  "faults stopped, frames delivered %llu dropped %llu duplicated %llu\n",
                  static_cast<unsigned long long>(seed), res.faults,
                  static_cast<unsigned long long>(res.replacements),
                  static_cast<long long>(res.converged_after.count()),
                  static_cast<unsigned long long>(res.network.delivered),
                  static_cast<unsigned long long>(res.network.dropped),
                  static_cast<unsigned long long>(res.network.duplicated));
  }
}

TEST(sim, a_deployment_survives_node_loss_and_restarts) {
  auto cfg = base_config();
  cfg.max_drop = 0;
  cfg.max_duplicate = 0;
  cfg.max_reorder = 0;
  run_seeds(cfg, seeds(100, 4));
}

TEST(sim, a_deployment_survives_random_faults_with_a_lossy_network) {
  run_seeds(base_config(), seeds(1, 8));
}

TEST(sim, same_seed_same_run) {
  auto cfg = base_config();
  cfg.fault_phase = ms(3000);
  auto seed = seed_from_env().value_or(42);
  auto a = run_scenario(seed, cfg);
  auto b = run_scenario(seed, cfg);
  EXPECT_EQ(a.trace.size(), b.trace.size());
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.network.delivered, b.network.delivered);
  EXPECT_EQ(a.network.dropped, b.network.dropped);
  EXPECT_EQ(a.replacements, b.replacements);
  EXPECT_EQ(a.converged_after, b.converged_after);
}

TEST(sim, the_checkers_report_what_breaks_an_invariant) {
  EXPECT_TRUE(serving("ReadyRole"));
  EXPECT_TRUE(serving("StartingRole"));
  EXPECT_FALSE(serving("StoppedVM"));
  EXPECT_FALSE(serving("CreatingVM"));
  auto cfg = base_config();
  cfg.cluster.seed = 5;
  cluster c{cfg.cluster};
  ASSERT_TRUE(c.run_until([&] { return c.controller().nodes().size() == 6; }, ms(3000)));
  EXPECT_TRUE(invariants::all_ready(c).empty());  // nothing deployed

  // Right after the deploy nothing can be ready yet.
  ASSERT_EQ(c.deploy("svc", "sim", cfg.csdef, cfg.cscfg).status, 202);
  auto not_ready = invariants::all_ready(c);
  ASSERT_EQ(not_ready.size(), 10u);
  EXPECT_NE(not_ready[0].find("controller sees"), std::string::npos) << not_ready[0];
  ASSERT_TRUE(c.run_until([&] { return invariants::all_ready(c).empty(); }, ms(5000)));
  EXPECT_TRUE(invariants::fault_domains_spread(c).empty());

  // A second node claiming to serve an instance is caught.
  auto& inst = c.controller().model().services.at("svc").production->instances.at(0);
  auto wire = coordinator::wire_name("sim", inst.name);
  std::string other = inst.node == "n0" ? "n1" : "n0";
  c.inject_report(other, {wire, "ReadyRole", "base", "127.0.0.1:1"});
  auto twice = invariants::no_instance_serves_twice(c);
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_NE(twice[0].find(wire + " serves on 2 nodes"), std::string::npos) << twice[0];
  auto misplaced = invariants::placed_once_on_a_live_node(c);
  ASSERT_FALSE(misplaced.empty());
  c.inject_report(other, {wire, "", "", ""});  // forgotten again
  EXPECT_TRUE(invariants::no_instance_serves_twice(c).empty());

  // A killed node's instances are not on a live node until they are healed.
  c.kill_node("n0");
  auto placement = invariants::placed_once_on_a_live_node(c);
  ASSERT_FALSE(placement.empty());
  EXPECT_NE(placement[0].find("which is not a live node"), std::string::npos) << placement[0];
  ASSERT_TRUE(c.run_until([&] { return invariants::placed_once_on_a_live_node(c).empty(); },
                          ms(2000)));
}

} // namespace
} // namespace fabric::sim
