#pragma once

// From planner actions to model edits: the one mapping of an upgrade pass.
// The coordinator's upgrade engine (coordinator/upgrade_engine.hpp) calls
// plan_next, then edits_for, commits the step's edits as ONE durable write
// (model_port::commit_all) and only then sends the step's commands; the
// planner's property test (tests/model/upgrade_planner_property_test.cpp)
// applies the same steps to its model, so what it checks is what runs.
//
// Action -> effect:
//   advance_to_domain / domain_walked -> one update_upgrade (the status after
//       every status action of the pass; omitted when it does not change);
//   upgrade_instance / rollback_instance -> set_instance_version (the desired
//       version; omitted when the model has it already) and, for a placed
//       instance, an upgrade command to its node (an unplaced one is placed
//       by healing, on the version the model gives it);
//   begin_rollback  -> end_upgrade(not completed) + begin_upgrade(the
//       rollback, make_rollback over the model as the pass's earlier actions
//       left it, same mode); the pass stops (the rest was planned for the
//       forward walk). When no rollback can be made: paused with its reason;
//   complete_upgrade -> end_upgrade(completed); the pass stops;
//   pause_upgrade   -> `paused` (the executor shows it; no edit);
//   await_walk, surge actions -> nothing (an operator walks; surge is refused
//       at request time by this coordinator).
// With `domain_wait`, a domain_walked followed by an advance_to_domain in
// Auto mode ends the pass (`wait` set): the executor holds the walk for its
// per-UD wait and plans again after it (the next pass advances).
//
// Pure and thread-safe: reads only its arguments.

#include <string>
#include <vector>

#include "model/edit.hpp"  // before upgrade_planner.hpp: its begin_upgrade() hides the edit
#include "model/upgrade_planner.hpp"

namespace fabric::model {

/// An instance command to send once the step's edits are durable.
struct instance_move {
  std::string instance;   ///< model name, e.g. "Web_IN_3"
  std::string node;       ///< where it is placed (never empty)
  std::string to_version;
  bool rollback = false;  ///< from a rollback_instance
};

/// What one pass of the executor does.
struct upgrade_step {
  /// In order; commit them all or none (one durable write).
  std::vector<model_edit> edits;
  /// Upgrade commands, in the planner's order, after the edits are durable.
  std::vector<instance_move> moves;
  /// The pass stopped after a domain_walked: hold the walk for the per-UD
  /// wait, then plan again.
  bool wait = false;
  /// The pause reason (the last pause_upgrade, or why a rollback could not be
  /// made); empty when not paused.
  std::string paused;
  /// Non-empty: the upgrade turned into its rollback, for this reason.
  std::string rolled_back;
  /// The upgrade ended (complete_upgrade): `edits` ends with end_upgrade.
  bool completed = false;
};

/// The step of one pass: `actions` is plan_next's answer for `d`, the
/// deployment in (`service`, `in_slot`). `domain_wait`: a per-UD wait is set
/// (see above). Empty when `d` has no upgrade in flight.
upgrade_step edits_for(const std::string& service, slot in_slot, const deployment& d,
                       const std::vector<action>& actions, bool domain_wait);

} // namespace fabric::model
