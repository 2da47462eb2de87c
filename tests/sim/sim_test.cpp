// The simulation tier: a whole cluster (coordinator, six nodes in three FDs)
// in one process on CAF's deterministic scheduler over the in-memory
// transport. Each seed deploys, injects random faults (node kills and
// restarts, partitions, dropped / duplicated / reordered frames), stops them
// and checks the invariants: no instance serves on two nodes at any moment;
// afterwards every instance is placed on exactly one live node, ReadyRole at
// the controller and on its node, and the FD rules hold.
//
// Every seed must inject faults (a seed without a kill or a partition fails),
// and over a seed set every fault kind must have run and had an effect.
//
// The rolling-upgrade workload (sim_upgrade.*): 200 seeds of an upgrade
// (Auto, Manual, Simultaneous, rollback mid-walk) under node crashes, restarts
// and partitions, the invariants checked after every step (see
// sim/workload.hpp); over the seed set every mode and every fault kind must
// have run.
//
// A failure prints its seed; FABRIC_SIM_SEED=<seed> runs only that seed
// (e.g. FABRIC_SIM_SEED=7 build/tests/sim_tests) and prints what it did.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "coordinator/journal/model_store.hpp"

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

/// What a seed set did, summed.
struct seed_totals {
  std::map<fault_kind, int> faults;
  uint64_t replacements = 0;
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
};

seed_totals run_seeds(const scenario_config& cfg, const std::vector<uint64_t>& list) {
  seed_totals t;
  for (auto seed : list) {
    auto res = run_scenario(seed, cfg);
    EXPECT_TRUE(res.ok()) << res.report();
    // A seed that injected no fault proves nothing: it must not pass.
    EXPECT_GT(res.by_kind[fault_kind::kill] + res.by_kind[fault_kind::partition], 0)
      << "seed " << seed << " injected no kill and no partition\n" << res.report();
    for (auto& [k, n] : res.by_kind)
      t.faults[k] += n;
    t.replacements += res.replacements;
    t.dropped += res.network.dropped;
    t.duplicated += res.network.duplicated;
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
  return t;
}

TEST(sim, a_deployment_survives_node_loss_and_restarts) {
  auto cfg = base_config();
  cfg.max_drop = 0;
  cfg.max_duplicate = 0;
  cfg.max_reorder = 0;
  auto t = run_seeds(cfg, seeds(100, 4));
  if (seed_from_env())
    return;  // one seed replayed: the per-seed checks above
  // The faults ran and were felt: nodes died, came back, were cut off, and
  // the controller re-placed instances.
  EXPECT_GT(t.faults[fault_kind::kill], 0);
  EXPECT_GT(t.faults[fault_kind::restart], 0);
  EXPECT_GT(t.faults[fault_kind::partition], 0);
  EXPECT_GT(t.replacements, 0u);
  EXPECT_EQ(t.dropped, 0u);  // no network faults in this test
}

TEST(sim, a_deployment_survives_random_faults_with_a_lossy_network) {
  auto t = run_seeds(base_config(), seeds(1, 8));
  if (seed_from_env())
    return;
  EXPECT_GT(t.faults[fault_kind::kill], 0);
  EXPECT_GT(t.faults[fault_kind::partition], 0);
  EXPECT_GT(t.faults[fault_kind::noisy_network], 0);
  EXPECT_GT(t.replacements, 0u);
  EXPECT_GT(t.dropped, 0u);
  EXPECT_GT(t.duplicated, 0u);
}

TEST(sim, same_seed_same_run) {
  auto cfg = base_config();
  cfg.fault_phase = ms(3000);
  auto seed = seed_from_env().value_or(42);
  auto a = run_scenario(seed, cfg);
  auto b = run_scenario(seed, cfg);
  EXPECT_TRUE(a.ok()) << a.report();
  EXPECT_GT(a.faults, 0) << a.report();  // equal empty runs would prove nothing
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

// -- the rolling-upgrade workload ------------------------------------------------

/// What an upgrade seed set did, summed.
struct upgrade_totals {
  int seeds = 0;
  std::map<walk_mode, int> modes;
  int rolled_back = 0;
  int role_only = 0;
  std::map<fault_kind, int> faults;
  int walks = 0;
  int premature_refused = 0;
  long steps = 0;
  long replays = 0;
};

/// Runs upgrade seeds [first, first + count), or FABRIC_SIM_SEED alone (only
/// in the chunk that starts at 1; the others skip then). Every seed must pass
/// and inject faults; returns the totals.
upgrade_totals run_upgrade_seeds(uint64_t first, int count, bool* replaying) {
  upgrade_workload_config cfg;
  upgrade_totals t;
  std::vector<uint64_t> list;
  *replaying = seed_from_env().has_value();
  if (*replaying) {
    if (first == 1)
      list.push_back(*seed_from_env());
  } else {
    for (int i = 0; i < count; ++i)
      list.push_back(first + static_cast<uint64_t>(i));
  }
  for (auto seed : list) {
    auto res = run_upgrade_scenario(seed, cfg);
    EXPECT_TRUE(res.ok()) << res.report();
    EXPECT_GT(res.faults[fault_kind::kill] + res.faults[fault_kind::partition], 0)
      << "seed " << seed << " injected no crash and no partition\n" << res.report();
    EXPECT_GT(res.replay_checks, 0) << res.report();
    if (*replaying && res.ok())  // (a failure prints it above)
      std::printf("%s", res.report().c_str());  // what the seed did, step by step
    else
      std::printf("[sim-upgrade] %s\n", res.summary().c_str());
    ++t.seeds;
    ++t.modes[res.mode];
    t.rolled_back += res.rolled_back;
    t.role_only += res.upgrade.find(" role ") != std::string::npos;
    for (auto& [k, n] : res.faults)
      t.faults[k] += n;
    t.walks += res.walks;
    t.premature_refused += res.premature_walks_refused;
    t.steps += res.steps;
    t.replays += res.replay_checks;
  }
  return t;
}

/// Over a chunk of 50 seeds: every mode ran, rollbacks ran, every fault kind
/// ran many times, Manual walks were issued and out-of-order walks refused.
void expect_coverage(const upgrade_totals& t) {
  std::printf("[sim-upgrade] %d seeds: Auto %d, Manual %d, Simultaneous %d, rolled back mid-walk "
              "%d, one role only %d; faults: kill %d, restart %d, partition %d, heal %d; walks "
              "%d, out-of-order walks refused %d; %ld steps checked, %ld journal replays\n",
              t.seeds, t.modes.count(walk_mode::automatic) ? t.modes.at(walk_mode::automatic) : 0,
              t.modes.count(walk_mode::manual) ? t.modes.at(walk_mode::manual) : 0,
              t.modes.count(walk_mode::simultaneous) ? t.modes.at(walk_mode::simultaneous) : 0,
              t.rolled_back, t.role_only,
              t.faults.count(fault_kind::kill) ? t.faults.at(fault_kind::kill) : 0,
              t.faults.count(fault_kind::restart) ? t.faults.at(fault_kind::restart) : 0,
              t.faults.count(fault_kind::partition) ? t.faults.at(fault_kind::partition) : 0,
              t.faults.count(fault_kind::heal) ? t.faults.at(fault_kind::heal) : 0, t.walks,
              t.premature_refused, t.steps, t.replays);
  auto at = [](auto& m, auto k) { return m.count(k) ? m.at(k) : 0; };
  EXPECT_GE(at(t.modes, walk_mode::automatic), 5);
  EXPECT_GE(at(t.modes, walk_mode::manual), 5);
  EXPECT_GE(at(t.modes, walk_mode::simultaneous), 5);
  EXPECT_GE(t.rolled_back, 5);
  EXPECT_GE(t.role_only, 1);
  EXPECT_GE(at(t.faults, fault_kind::kill), 50);
  EXPECT_GE(at(t.faults, fault_kind::restart), 50);
  EXPECT_GE(at(t.faults, fault_kind::partition), 50);
  EXPECT_GE(at(t.faults, fault_kind::heal), 25);
  EXPECT_GE(t.walks, 20);
  EXPECT_GE(t.premature_refused, 3);
}

// 200 seeds in four chunks (ctest runs them in parallel).
TEST(sim_upgrade, seeds_1_to_50_keep_the_invariants) {
  bool replaying = false;
  auto t = run_upgrade_seeds(1, 50, &replaying);
  if (!replaying)
    expect_coverage(t);
}

TEST(sim_upgrade, seeds_51_to_100_keep_the_invariants) {
  bool replaying = false;
  auto t = run_upgrade_seeds(51, 50, &replaying);
  if (replaying)
    GTEST_SKIP() << "FABRIC_SIM_SEED runs in seeds_1_to_50 only";
  expect_coverage(t);
}

TEST(sim_upgrade, seeds_101_to_150_keep_the_invariants) {
  bool replaying = false;
  auto t = run_upgrade_seeds(101, 50, &replaying);
  if (replaying)
    GTEST_SKIP() << "FABRIC_SIM_SEED runs in seeds_1_to_50 only";
  expect_coverage(t);
}

TEST(sim_upgrade, seeds_151_to_200_keep_the_invariants) {
  bool replaying = false;
  auto t = run_upgrade_seeds(151, 50, &replaying);
  if (replaying)
    GTEST_SKIP() << "FABRIC_SIM_SEED runs in seeds_1_to_50 only";
  expect_coverage(t);
}

// Every fault and every rollback unrestricted (the knobs that steer around
// the known coordinator bugs of sim/README.md "Findings" off): run it with
// --gtest_also_run_disabled_tests once those are fixed; it lists the seeds
// that fail, one line each.
TEST(sim_upgrade, DISABLED_unrestricted_faults_find_no_bug) {
  upgrade_workload_config cfg;
  cfg.min_outage = ms(0);
  cfg.keep_every_fd = false;
  cfg.rollback_only_when_reachable = false;
  cfg.manual_rollback_in_manual = true;
  std::vector<uint64_t> list;
  if (auto s = seed_from_env())
    list.push_back(*s);
  else
    for (uint64_t i = 1; i <= 200; ++i)
      list.push_back(i);
  int failed = 0;
  for (auto seed : list) {
    auto res = run_upgrade_scenario(seed, cfg);
    if (!res.ok()) {
      ++failed;
      std::printf("[sim-upgrade] FAILED %s\n    first: %s\n", res.summary().c_str(),
                  res.violations.front().c_str());
    }
    if (list.size() == 1)
      std::printf("%s", res.report().c_str());
  }
  EXPECT_EQ(failed, 0);
}

// The known coordinator bugs the default workload steers around, one seed
// each with only that knob off (sim/README.md "Findings"). Disabled until the
// owners fix them; --gtest_also_run_disabled_tests runs them.
void expect_seed_passes(uint64_t seed, const upgrade_workload_config& cfg) {
  auto res = run_upgrade_scenario(seed, cfg);
  EXPECT_TRUE(res.ok()) << res.report();
}

// A Manual walk rolled back in Manual mode deadlocks: the forward walk's walk
// operation (UD k During) stays InProgress, waiting for UD k in the
// rollback's walked list, and blocks (409) the operator's walk of UD k in
// the rollback, the only way to get there.
TEST(sim_upgrade, bug_a_manual_rollback_mid_walk_completes) {
  upgrade_workload_config cfg;
  cfg.manual_rollback_in_manual = true;
  expect_seed_passes(97, cfg);
}

// An upgrade command lost to a node that is back (restart, partition healed)
// before the failure detector declared it down is never sent again: the walk
// waits for the instance until the per-instance timeout (30 min).
TEST(sim_upgrade, DISABLED_bug_b_a_lost_upgrade_command_does_not_stall_the_walk) {
  upgrade_workload_config cfg;
  cfg.min_outage = ms(0);
  expect_seed_passes(92, cfg);
}

// A rollback started while an instance's upgrade command is unanswered (its
// node cut off) completes at once: the planner counts the instance as done
// (observed on the rollback's version), though it is going to the forward
// target; it ends on v2 with the deployment on base and no upgrade in flight.
TEST(sim_upgrade, DISABLED_bug_c_a_rollback_brings_back_instances_in_flight) {
  upgrade_workload_config cfg;
  cfg.rollback_only_when_reachable = false;
  expect_seed_passes(30, cfg);
}

// After a whole FD was unreachable, healing put a role's instances in the
// other FD; once the FD is back nothing spreads them again (domain.md: a role
// with >= 2 instances spans >= 2 FDs).
TEST(sim_upgrade, DISABLED_bug_d_roles_span_two_fds_again_after_an_fd_returns) {
  upgrade_workload_config cfg;
  cfg.keep_every_fd = false;
  expect_seed_passes(15, cfg);
}

TEST(sim_upgrade, same_seed_same_walk) {
  upgrade_workload_config cfg;
  auto seed = seed_from_env().value_or(17);
  auto a = run_upgrade_scenario(seed, cfg);
  auto b = run_upgrade_scenario(seed, cfg);
  EXPECT_TRUE(a.ok()) << a.report();
  EXPECT_GT(a.fault_count(), 0) << a.report();
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.summary(), b.summary());
  EXPECT_EQ(a.steps, b.steps);
}

/// A deployment of two UDs with one instance each, upgrading to v2.
model::deployment walking(model::upgrade_mode mode) {
  model::deployment d;
  d.name = "sim";
  d.version = "v1";
  for (int i = 0; i < 3; ++i) {
    model::instance in;
    in.name = model::instance_name("Web", i);
    in.role = "Web";
    in.index = i;
    in.upgrade_domain = i;
    in.version = "v1";
    d.instances.push_back(in);
  }
  model::upgrade_status u;
  u.mode = mode;
  u.order = {0, 1, 2};
  u.current_upgrade_domain = 0;
  u.current_state = model::upgrade_domain_state::during;
  u.from_version = "v1";
  u.target_version = "v2";
  d.upgrade = u;
  return d;
}

std::map<std::string, std::string> versions_of(const model::deployment& d) {
  std::map<std::string, std::string> out;
  for (auto& in : d.instances)
    out[in.name] = in.version;
  return out;
}

TEST(sim_upgrade, the_walk_checker_reports_a_walk_out_of_order) {
  auto d = walking(model::upgrade_mode::automatic);
  auto before = versions_of(d);
  d.instances[0].version = "v2";  // UD 0 is being walked: fine
  EXPECT_TRUE(walk_violations(d, before, d.upgrade).empty());

  before = versions_of(d);
  d.instances[1].version = "v2";  // UD 1 before UD 0 is walked
  auto v = walk_violations(d, before, d.upgrade);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("Web_IN_1 (role Web, UD 1) moved v1 -> v2 while its UD is not being walked"),
            std::string::npos)
    << v[0];

  // The status itself: UD 2 current while UD 1 is not walked.
  d = walking(model::upgrade_mode::manual);
  d.upgrade->walked = {0};
  d.upgrade->current_upgrade_domain = 2;
  v = walk_violations(d, versions_of(d), d.upgrade);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("UD 2 is current before UD 1 is walked"), std::string::npos) << v[0];
  d.upgrade->walked = {0, 2};
  v = walk_violations(d, versions_of(d), d.upgrade);
  ASSERT_FALSE(v.empty());
  EXPECT_NE(v[0].find("out of the planner's order"), std::string::npos) << v[0];

  // Simultaneous: any UD of the order may move, but only to the target and in During.
  d = walking(model::upgrade_mode::simultaneous);
  before = versions_of(d);
  d.instances[2].version = "v2";
  EXPECT_TRUE(walk_violations(d, before, d.upgrade).empty());
  d.instances[1].version = "v3";
  EXPECT_FALSE(walk_violations(d, before, d.upgrade).empty());

  // No upgrade in flight: no version may change.
  d = walking(model::upgrade_mode::automatic);
  d.upgrade.reset();
  before = versions_of(d);
  d.instances[0].version = "v2";
  v = walk_violations(d, before, d.upgrade);
  ASSERT_FALSE(v.empty());
  EXPECT_NE(v[0].find("with no upgrade in flight"), std::string::npos) << v[0];

  // A walk that ends leaves its role on the deployment's version.
  d = walking(model::upgrade_mode::automatic);
  auto was = d.upgrade;
  d.upgrade.reset();
  d.version = "v2";
  for (auto& in : d.instances)
    in.version = "v2";
  EXPECT_TRUE(walk_violations(d, versions_of(d), was).empty());
  d.instances[1].version = "v1";  // e.g. a rollback that skipped an instance in flight
  v = walk_violations(d, versions_of(d), was);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("ended (deployment on v2) with Web_IN_1 on v1"), std::string::npos) << v[0];
}

TEST(sim_upgrade, the_replay_checker_reports_a_journal_that_diverges) {
  sim_config sc;
  sc.seed = 3;
  sc.nodes = 2;
  sc.fault_domains = 2;
  sc.journaled = true;
  cluster c{sc};
  ASSERT_TRUE(c.run_until([&] { return c.controller().nodes().size() == 2; }, ms(3000)));
  ASSERT_EQ(c.deploy("svc", "sim", read(std::string(FABRIC_TEST_DATA) + "/models/three-ud.csdef"),
                     read(std::string(FABRIC_TEST_DATA) + "/models/three-ud.cscfg"))
              .status,
            202);
  ASSERT_TRUE(c.run_until([&] { return invariants::all_ready(c).empty(); }, ms(5000)));
  EXPECT_GT(c.controller().model().revision, 0);
  EXPECT_TRUE(replay_violations(c).empty());

  // An edit journaled behind the controller's back: the replay differs.
  {
    journal::model_store_options o;
    o.journal.sync = journal::sync_mode::off;
    o.journal.exclusive = false;
    auto other = journal::model_store::open(c.journal_dir().string(), o);
    ASSERT_TRUE(other) << other.err().to_string();
    model::create_hosted_service e;
    e.name = "ghost";
    ASSERT_TRUE(other->commit(e));
  }
  auto v = replay_violations(c);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].find("the journal replays to another model"), std::string::npos) << v[0];
  EXPECT_NE(v[0].find("ghost"), std::string::npos) << v[0];
}

} // namespace
} // namespace fabric::sim
