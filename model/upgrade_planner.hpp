#pragma once

// The in-place upgrade planner: a pure function from (deployment, health
// snapshot, policy, now) to the next actions, as data. The coordinator's
// upgrade engine, run on the controller actor, carries the actions out and
// calls plan_next again on every tick or report (docs/architecture.md "Decide
// in pure code, act in actors").
//
// The walk (one upgrade_status per deployment, see deployment.hpp):
//
//   begin_upgrade ──> current = order[0], Before
//        │
//        ▼             Auto/Simultaneous: advance_to_domain(k, During)
//   (k, Before) ────────────────────────────────────────────┐
//        │  Manual: await_walk(k) until walk_upgrade_domain(k) sets During
//        ▼                                                  ▼
//   (k, During): upgrade_instance for every instance of the upgraded roles in
//        UD k (surge first where needed); wait until each is ReadyRole on the
//        target version, or its per-instance timeout (policy: proceed, pause
//        or roll back)
//        │ all done
//        ▼
//   domain_walked(k); next UD of the order: advance_to_domain(next, During in
//   Auto, Before in Manual) ... after the last: complete_upgrade.
//
// Simultaneous mode treats every instance of the upgraded roles as one step.
// A rollback (make_rollback) is an upgrade back to from_version over the UDs
// that were touched, in reverse walk order; instances that are already on the
// rollback's target (the untouched ones) get no action.
//
// Reconciliation: plan_next reads only its arguments, so the same inputs give
// the same actions; an instance already on the target and ReadyRole, or whose
// upgrade towards the target has started (instance_health::upgrade_started),
// gets no new action.
// Repeating an emitted action that is not yet in effect is harmless: every
// action names its end state (a version, a UD), not a delta.
//
// Time is an input: `now` and every timestamp share the caller's monotonic
// clock. Nothing here reads a clock or draws a random number.
// All functions are pure and thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"

namespace fabric::model {

using time_point = std::chrono::steady_clock::time_point;

// -- actions -------------------------------------------------------------------

/// Stop the instance, move it to `to_version`, start it again.
struct upgrade_instance {
  std::string name;
  std::string to_version;
};

/// Same as upgrade_instance, during a rollback (to the version it ran before).
struct rollback_instance {
  std::string name;
  std::string to_version;
};

/// upgrade_status.current_upgrade_domain becomes `upgrade_domain` with `state`.
struct advance_to_domain {
  int upgrade_domain = 0;
  upgrade_domain_state state = upgrade_domain_state::before;
};

/// UD `upgrade_domain` is finished: append it to upgrade_status.walked (once).
struct domain_walked {
  int upgrade_domain = 0;
};

/// Manual mode: nothing to do until an operator walks UD `upgrade_domain`.
struct await_walk {
  int upgrade_domain = 0;
};

/// Start a replacement for `for_instance` (same role, version it runs now)
/// before that instance stops, because it is alone in its FD among its role's
/// instances that stay up. The snapshot reports it in health_snapshot::surges.
struct start_surge_instance {
  std::string for_instance;
};

/// The surged instance is back (or the upgrade ends): remove its replacement.
struct stop_surge_instance {
  std::string for_instance;
};

/// Stop driving the upgrade; an operator decides (rollback, repair, new
/// upgrade). Emitted again on every call until the cause is gone.
struct pause_upgrade {
  std::string reason;
};

/// Turn the upgrade into its rollback (make_rollback with the same mode).
struct begin_rollback {
  std::string reason;
};

/// The walk is over: the deployment's version becomes the status's target
/// version and the upgrade status disappears.
struct complete_upgrade {};

using action = std::variant<upgrade_instance, rollback_instance, advance_to_domain, domain_walked,
                            await_walk, start_surge_instance, stop_surge_instance, pause_upgrade,
                            begin_rollback, complete_upgrade>;

/// E.g. "upgrade_instance(WebRole_IN_0 -> v2)", "advance_to_domain(1, During)",
/// "complete_upgrade". Stable: tests and logs compare these strings.
std::string to_string(const action& a);

// -- inputs --------------------------------------------------------------------

/// What the fabric last heard of one instance.
struct instance_health {
  instance_state state = instance_state::ready_role;
  std::string version;
  time_point since{}; ///< when it entered `state`
  /// When the executor began its current upgrade or rollback (stop, move,
  /// start), until the instance is ReadyRole again; empty otherwise.
  std::optional<time_point> upgrade_started;
  /// The version that upgrade or rollback moves to; empty = the current
  /// plan's target. An operation towards another version (a forward upgrade
  /// caught by a rollback) is superseded: the planner issues the new action.
  std::string upgrading_to;
};

struct health_snapshot {
  /// By instance name. An instance missing here is asked of `lookup`; when
  /// that is empty or answers nothing, it is taken from the deployment (its
  /// state and version), with `since = now` (so it never times out).
  std::map<std::string, instance_health> instances;
  /// Optional: the health of an instance missing from `instances`, asked only
  /// for the instances the planner examines (the members of the UDs it
  /// walks in this call, their role's neighbours for surge), so an executor
  /// need not build the health of every instance of a large deployment on
  /// every pass. It must answer the same for the same instance within one
  /// plan_next call (plan_next stays a function of its arguments).
  std::function<std::optional<instance_health>(const instance&)> lookup;
  /// Surge replacements by the name of the instance they stand in for.
  std::map<std::string, instance_health> surges;
};

enum class timeout_action {
  proceed,   ///< walk on (the platform's behaviour)
  pause,     ///< emit pause_upgrade
  roll_back, ///< emit begin_rollback (pause instead during a rollback)
};

struct upgrade_policy {
  /// How long an instance may take from the start of its upgrade to
  /// ReadyRole on the target version (the platform waited 30 minutes).
  std::chrono::milliseconds instance_timeout = std::chrono::minutes(30);
  timeout_action on_timeout = timeout_action::proceed;
};

/// What an operator asks for (Upgrade Deployment).
struct upgrade_request {
  upgrade_mode mode = upgrade_mode::automatic;
  std::string role;       ///< single role (RoleToUpgrade); empty = every role
  std::vector<int> order; ///< walk order; empty = 0..U-1
  std::string target_version;
  std::string target_package;
  bool force = false;
  bool surge = false;
};

// -- functions -----------------------------------------------------------------

/// Validates a request against the deployment and returns the status to store
/// in deployment::upgrade (current = order[0], Before, nothing walked,
/// from_version = d.version). Errors: an upgrade already in progress, an empty
/// target version, a role that is not in the deployment, an order entry that
/// is not a UD (U = upgradeDomainCount), a UD listed twice, or an order that
/// misses a UD holding instances of the upgraded roles. The order must be a
/// permutation of 0..U-1 or of the UDs that hold instances of those roles.
result<upgrade_status> begin_upgrade(const deployment& d, const upgrade_request& request);

/// The actions to take now, in order. Empty when no upgrade is in progress.
/// REQUIRES: instance names in `h` are those of `d`.
std::vector<action> plan_next(const deployment& d, const health_snapshot& h,
                              const upgrade_policy& p, time_point now);

/// Whether an operator may walk UD `ud` now (Walk Upgrade Domain). Refused,
/// with the reason: no upgrade in progress; not Manual mode; `ud` is not in
/// the walk order (does not exist); `ud` was already walked; `ud` is being
/// walked; another UD is being walked; `ud` is not the next UD of the order.
status check_walk(const deployment& d, int ud);

/// check_walk, then the status with current UD `ud` in state During.
result<upgrade_status> walk_upgrade_domain(const deployment& d, int ud);

/// Turns the upgrade in progress into its rollback: from/target versions
/// swapped, rolling_back set, the order = the touched UDs (walked, the current
/// one if During, any holding an instance of the upgraded roles that is not on
/// from_version) in reverse walk order, current = its first UD in Before.
/// Errors: no upgrade in progress; a rollback already in progress.
result<upgrade_status> make_rollback(const deployment& d, upgrade_mode mode);

/// Applies the actions that change the deployment's upgrade record
/// (advance_to_domain, domain_walked, complete_upgrade, begin_rollback) to
/// `d`, through the executor's own mapping (upgrade_step.hpp: edits_for, then
/// model::apply of its edits); instance and surge actions, await_walk and
/// pause_upgrade leave it unchanged (the executor carries those out).
/// complete_upgrade sets d.version / d.package to the target ones (unless
/// rolling back: they are the rollback's target already) and clears
/// d.upgrade. A helper for tests; defined in upgrade_step.cpp.
void apply_to_status(deployment& d, const action& a);

} // namespace fabric::model
