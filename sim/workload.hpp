#pragma once

// Workloads for the simulation tier: setup (deploy), run (seeded random
// faults), heal (faults stop, dead nodes restart) and check (invariants).
// `run_scenario` is one whole seed; it returns the violations found (empty:
// the seed passed) and a trace of what it did, so a failure can print the
// seed and the trace and FABRIC_SIM_SEED=<seed> replays it exactly.
//
// Thread-safety: none (one test thread).

#include <cstdint>
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

} // namespace fabric::sim
