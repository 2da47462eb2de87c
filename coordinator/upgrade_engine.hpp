#pragma once

// The upgrade engine: drives every in-place upgrade in flight, one pass per
// deployment on each controller tick. The operations that start, walk and
// roll back upgrades (upgrade_plans.cpp) hand it their settings and operation
// (track, set_operation, reset_walk).
//
// One pass (drive):
//   1. the health the planner asks for (health_snapshot::lookup: only the
//      instances of the UDs it walks): the observed state (RoleStateUnknown
//      and the model's version until a node reports), plus the upgrade
//      command in flight (started at, towards which version);
//   2. model::plan_next (model/upgrade_planner.hpp) -> actions;
//   3. model::edits_for (model/upgrade_step.hpp) -> the step: the pass's
//      edits, the upgrade commands, whether to start the per-UD wait, the
//      pause reason, a rollback or the completion. The same function drives
//      the planner's property test;
//   4. the step's edits as ONE durable write (controller::commit_all; a
//      rollback's end_upgrade + begin_upgrade included), then its commands.
//      A refused write changes nothing and sends nothing (the next tick plans
//      again).
//
// Time is an argument: tick(now) with the controller actor's clock (CAF's
// test clock in actor tests). next_deadline() is the earliest time a pass
// has work to do that no report will trigger: the end of a per-UD wait or the
// earliest instance timeout still ahead. The controller actor arms one timer
// for it (re-armed when it changes) and otherwise ticks on reports and API
// calls; it does not poll.
//
// The walk state lives in the model (journaled), so after a coordinator
// restart the tick resumes it from the full state: an instance observed on
// the target version is not upgraded again; an instance not yet observed is
// taken as the model says (so it is never counted ready). The per-request
// policy (timeout, on_timeout, domain_wait) is memory only: after a restart
// the controller_config defaults apply.
//
// Thread-safety: none (runs on the controller actor).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "model/upgrade_step.hpp"

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

  /// Plans and acts for every deployment with an upgrade in flight; `now` is
  /// the caller's monotonic clock (the same for every call).
  void tick(controller& c, time_point now);

  /// The earliest end of a per-UD wait or instance timeout ahead of the last
  /// tick; empty when none (then only reports and API calls bring work).
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
    std::optional<time_point> timeout_at;     ///< earliest instance timeout ahead
    std::string paused_reason;
    std::map<std::string, flight> in_flight;  ///< by model instance name
    std::unordered_map<std::string, seen_state> seen;  ///< by model instance name
  };
  tracked& state_of(const std::string& name);
  void drive(controller& c, const std::string& service, model::slot s, time_point now);

  upgrade_settings defaults_;
  std::map<std::string, tracked> tracked_;  ///< by deployment name
  uint64_t passes_ = 0;
};

} // namespace fabric::coordinator
