#pragma once

// Workloads for the simulation tier: setup (deploy), run (seeded random
// faults), heal (faults stop, dead nodes restart) and check (invariants).
// `run_scenario` is one whole seed; it returns the violations found (empty:
// the seed passed) and a trace of what it did, so a failure can print the
// seed and the trace and FABRIC_SIM_SEED=<seed> replays it exactly.
//
// Thread-safety: none (one test thread).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/cluster.hpp"

namespace fabric::sim {

/// A fault action of the run phase.
enum class fault_kind { kill, restart, partition, heal, noisy_network, quiet_network };

const char* to_string(fault_kind k);

struct scenario_config {
  sim_config cluster;
  std::string csdef;            ///< service model deployed in setup
  std::string cscfg;
  ms settle{15000};             ///< bound to reach ReadyRole after setup
  ms fault_phase{6000};         ///< how long faults are injected
  ms fault_every{250};          ///< one fault action per this period
  int min_alive = 3;            ///< never kill below this many live nodes
  double max_drop = 0.2;        ///< noisy network: drop in [0, max_drop]
  double max_duplicate = 0.2;
  double max_reorder = 0.3;
  ms recover{30000};            ///< bound to converge after faults stop
};

struct scenario_result {
  uint64_t seed = 0;
  std::vector<std::string> violations;
  std::vector<std::string> trace;   ///< "t=1230ms kill n3", ...
  int faults = 0;
  std::map<fault_kind, int> by_kind;  ///< the fault actions taken, by kind
  ms converged_after{0};            ///< after faults stopped
  uint64_t replacements = 0;
  transport::inmem_stats network;

  bool ok() const { return violations.empty(); }
  /// The seed, the replay command and the violations and trace.
  std::string report() const;
};

/// One seed: setup, run, heal, check. Safety (no instance serves twice) is
/// checked after every step of the run and heal phases; liveness
/// (placed once on a live node, all ReadyRole, FD rules) once faults stop.
scenario_result run_scenario(uint64_t seed, const scenario_config& cfg);

// -- the rolling-upgrade workload ----------------------------------------------
//
// One seed = one rolling upgrade under faults, on a deployment shape drawn
// from the seed:
//   shape  2-3 FDs, two nodes per FD, 2-5 UDs, 1-3 roles of 1-4 instances
//          (at most 8), deployed on image "base";
//   walk   an upgrade to image "v2" in Auto, Manual (the workload is the
//          operator: it walks each UD after a random think time, and now and
//          then tries to walk a UD out of order, which must be refused) or
//          Simultaneous mode, sometimes of one role only or in a shuffled
//          UD order; in some seeds a rollback is started mid-walk;
//   faults node crashes (kill), restarts, partitions of a node from the
//          coordinator, heals, and (optionally) a lossy network, at random
//          steps while the walk runs; the first crash or partition comes
//          within the first UDs, so no seed runs fault-free;
//   heal   faults stop, dead nodes restart, partitions heal.
//
// Checked after EVERY step (and after every API call), each violation
// naming the seed, the step and the simulated time:
//   twice    an instance's wire name never serves on two nodes at once (the
//            nodes' own boards);
//   walk     the model's upgrade status follows the walk: UDs are walked in
//            the planner's order, the current UD is the next unwalked one,
//            and an instance's version only changes while its UD is the
//            current UD in During (any UD in Simultaneous mode), to the
//            target version; no node runs the target version in a UD the
//            forward walk has not reached;
//   replay   the journal (a real SQLite journal::model_store) reopened from
//            disk replays to the controller's model (whenever it changed);
// and once the faults heal, within `recover` simulated time:
//   settled  no upgrade in flight, the deployment and every instance on the
//            target version (the original one after a rollback), every
//            instance ReadyRole at the controller and on its node on that
//            version, placed once on a live node, FD rules, and the upgrade
//            (or rollback) operation Succeeded.

/// The walk mode a seed ran.
enum class walk_mode { automatic, manual, simultaneous };
const char* to_string(walk_mode m);

struct upgrade_workload_config {
  ms tick{10};
  ms heartbeat{100};
  int missed_heartbeats = 3;
  std::map<std::string, uint32_t> phase_ms{
    {"create_vm", 20}, {"start_vm", 20}, {"start_role", 20}};
  ms settle{5000};          ///< deploy to all ReadyRole
  ms fault_phase{2500};     ///< faults run this long after the upgrade starts
  ms fault_gap_min{60};     ///< between two fault actions: uniform in [min, max]
  ms fault_gap_max{400};
  bool lossy_network = false;  ///< also drop / duplicate / reorder frames
  double rollback_chance = 0.5;
  ms recover{20000};        ///< after faults heal: bound to settle
  ms think_max{150};        ///< Manual: the operator walks after [0, think_max]
  double premature_walk_chance = 0.3;  ///< Manual: try a UD out of order first
  /// A kill or a partition lasts at least this long before the node restarts
  /// or the partition heals (the failure detector's (k+1)*H is 400 ms).
  ms min_outage{500};
  /// Never kill or partition the last reachable node of an FD.
  bool keep_every_fd = true;
  /// The rollback starts only while every node is reachable and up.
  bool rollback_only_when_reachable = true;
  /// A Manual walk rolls back in Manual mode (the operator walks it); false:
  /// the rollback runs in Auto mode.
  bool manual_rollback_in_manual = true;
};

struct upgrade_result {
  uint64_t seed = 0;
  std::string shape;             ///< "4 nodes in 2 FDs, 3 UDs, Web0 x3, Work1 x2"
  walk_mode mode = walk_mode::automatic;
  std::string upgrade;           ///< the request: mode, role, order
  bool rolled_back = false;      ///< a rollback was accepted mid-walk
  std::string final_version;     ///< what every instance must end on
  std::map<fault_kind, int> faults;
  int walks = 0;                 ///< walk operations accepted (Manual)
  int premature_walks_refused = 0;
  long steps = 0;                ///< steps checked
  long replay_checks = 0;        ///< journal reopenings compared with the model
  uint64_t replacements = 0;
  ms walk_took{0};               ///< upgrade start to settled
  std::vector<std::string> violations;
  std::vector<std::string> trace;
  std::string kept_dir;          ///< a failing seed's temp dir (disks, journal)

  bool ok() const { return violations.empty(); }
  int fault_count() const;
  /// One line: seed, shape, mode, faults, result.
  std::string summary() const;
  /// The seed, the replay command, the violations and the trace.
  std::string report() const;
};

/// The walk invariant over one step of deployment `d` (pure): the upgrade
/// status walks UDs in its order, the current UD is the next unwalked one
/// (not checked in Simultaneous mode), and an instance whose version differs
/// from `versions_before` (model instance name -> version at the previous
/// step; absent: not checked) moved to the upgrade's target while its UD is
/// the current UD in During (any UD of the order in Simultaneous mode), and
/// is of the upgraded role; and when `upgrade_before` (the status at the
/// previous step) ended, every instance of its role is on the deployment's
/// version. Returns the violations (empty: holds).
std::vector<std::string> walk_violations(const model::deployment& d,
                                         const std::map<std::string, std::string>& versions_before,
                                         const std::optional<model::upgrade_status>& upgrade_before);

/// The replay invariant: reopens the cluster's journal from disk
/// (journal::model_store::open, not locked) and compares the model it replays
/// to with the controller's. REQUIRES: c.config().journaled.
std::vector<std::string> replay_violations(const cluster& c);

/// One seed of the rolling-upgrade workload (see above). Pure function of
/// (seed, cfg).
upgrade_result run_upgrade_scenario(uint64_t seed, const upgrade_workload_config& cfg);

} // namespace fabric::sim
