#pragma once

// In-place rolling upgrades as message flows: the engine that drives every
// upgrade in flight from the controller's tick. The operations "upgrade",
// "walk" and "rollback" that start, walk and roll back an upgrade are plans
// (coordinator/plans.hpp, upgrade_plans.cpp).
//
// Every walk decision comes from the pure planner (model/upgrade_planner.hpp):
// on each tick the engine builds a health_snapshot from the observed states
// (plus the upgrade commands it has in flight) and calls model::plan_next for
// each deployment with an upgrade in flight, then carries the actions out:
//   upgrade_instance / rollback_instance -> set_instance_version (journaled,
//       the desired version) then instance_command `upgrade` (the spec from
//       make_spec: the new version and image digest);
//   advance_to_domain / domain_walked    -> update_upgrade (journaled);
//   begin_rollback                       -> end_upgrade(not completed) +
//       begin_upgrade(make_rollback(...)); the upgrade operation fails;
//   complete_upgrade                     -> end_upgrade(completed);
//   pause_upgrade                        -> the upgrade is shown paused with
//       the reason (memory; the planner repeats it while the cause lasts);
//   await_walk                           -> nothing (an operator walks).
// In Auto mode a per-UD wait (domain_wait) holds the walk between a
// domain_walked and the next advance_to_domain.
//
// The walk state lives in the model (journaled), so after a coordinator
// restart the tick resumes it from the full state: an instance observed on
// the target version is not upgraded again; an instance not yet observed is
// taken as the model says (so it is never counted ready). The per-request
// policy (timeout, on_timeout, domain_wait) is memory only: after a restart
// the controller_config defaults apply.
//
// Operations (requests.hpp; JSON bodies at /fabric/v1, see coordinator/README.md):
//   upgrade  {"image", "version"?, "csdef"?, "cscfg"?, "mode"? (auto|manual|
//             simultaneous), "role"?, "order"? [ud...], "force"?, "surge"?,
//             "timeout_s"?, "on_timeout"? (pause|roll_back|proceed),
//             "domain_wait_ms"?}; succeeds when the walk completes, fails
//             when it is rolled back or superseded. A new upgrade is allowed
//             over a paused (stuck) one (that one is ended first).
//   walk     {"upgrade_domain": k} (Manual mode; the planner's check_walk
//             decides; 400 for a UD not in the walk, 409 otherwise);
//             succeeds when UD k is walked.
//   rollback {"mode"?}: the upgrade in flight turns into its rollback
//             (model::make_rollback); succeeds when the rollback completes.
//
// Thread-safety: none (runs on the controller actor).

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "model/edit.hpp"  // before upgrade_planner.hpp: its begin_upgrade() hides the edit
#include "model/upgrade_planner.hpp"

namespace fabric::coordinator {

class controller;
struct controller_config;

/// Per-request upgrade settings.
struct upgrade_settings {
  model::upgrade_policy policy;
  std::chrono::milliseconds domain_wait{0};
};

class upgrade_engine {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit upgrade_engine(const controller_config& cfg);

  /// Plans and acts for every deployment with an upgrade in flight.
  void tick(controller& c, time_point now);

  /// The earliest end of a per-UD wait; empty when none is running (the
  /// actor ticks then, not only every 20 ms).
  std::optional<time_point> next_deadline() const;

  /// Starts tracking an upgrade of deployment `name` (settings, operation).
  void track(const std::string& name, upgrade_settings s, const std::string& op_id);
  /// The operation that drives the deployment's upgrade (may be empty).
  std::string operation_of(const std::string& name) const;
  void set_operation(const std::string& name, const std::string& op_id);
  /// The pause reason of the deployment's upgrade; empty when not paused.
  std::string paused_reason(const std::string& name) const;
  /// Forgets waits and pause (a rollback or a new upgrade takes over).
  void reset_walk(const std::string& name);

  const upgrade_settings& defaults() const { return defaults_; }

  /// Number of planner passes so far (benchmarks, tests).
  uint64_t passes() const { return passes_; }

private:
  struct flight {
    time_point started;
    std::string to_version;
  };
  struct seen_state {
    model::instance_state state = model::instance_state::role_state_unknown;
    time_point since;
  };
  struct tracked {
    upgrade_settings settings;
    std::string op_id;
    std::optional<time_point> wait_until;
    std::string paused_reason;
    std::map<std::string, flight> in_flight;  ///< by model instance name
    std::map<std::string, seen_state> seen;   ///< by model instance name
  };
  tracked& state_of(const std::string& name);
  void drive(controller& c, const std::string& service, int slot_index, time_point now);

  upgrade_settings defaults_;
  std::map<std::string, tracked> tracked_;  ///< by deployment name
  uint64_t passes_ = 0;
};

} // namespace fabric::coordinator
