#pragma once

// The controller's operations as pure plans (in the style of reconcile.hpp
// and Nomad's reconciler): plan_<op>(model, request, inputs) decides
// everything an operation does, as data, without changing anything:
//   - the model edits, applied by the controller with ONE commit_all (an
//     operation is atomic in the journal: a coordinator killed while it
//     commits restarts with all of it or none of it);
//   - the observed states to forget and the node commands, queued only after
//     that commit succeeded (their specs are made from the committed model);
//   - the completion condition (when the operation succeeds), the running
//     operations it supersedes (they fail), the upgrade engine handover, and
//     what the 202 answer shows.
// A refused request is an request_error and no plan: nothing changes.
//
// Inputs that are not the model (live nodes, image names, operations in
// progress, the upgrade engine's state, the reboot quirk's random draw) are
// plain values in plan_inputs: no I/O, no clock, no RNG here.
//
// Thread-safety: pure functions over their arguments.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/reconcile.hpp"
#include "coordinator/requests.hpp"
#include "model/limits.hpp"
#include "model/edit.hpp"
#include "model/placement.hpp"
#include "model/upgrade_planner.hpp"

namespace fabric::coordinator {

/// When an operation succeeds (checked once every command it sent was
/// answered; a refused command fails it).
struct completion {
  enum class kind {
    commands_answered,   ///< as soon as every command was answered
    deployment_ready,    ///< every instance of service/slot observed ReadyRole
    deployment_stopped,  ///< every instance on a live node observed StoppedVM
    instance_ready,      ///< instance `wire` observed ReadyRole
    upgrade_ended,       ///< service/slot has no upgrade (or no deployment)
    domain_walked,       ///< UD `upgrade_domain` walked (or the upgrade ended)
  };
  kind what = kind::commands_answered;
  std::string service;
  model::slot in_slot = model::slot::production;
  std::string wire;
  int upgrade_domain = -1;
};

bool operator==(const completion& a, const completion& b);

/// An operation in progress (for conflicts and supersession).
struct running_operation_info {
  std::string id, kind, service;
  model::slot in_slot = model::slot::production;
};

/// A running operation the plan ends: it fails with
/// `reason_before + <the new operation's id> + reason_after`.
struct superseded_operation {
  std::string op_id;
  std::string reason_before, reason_after;
};

/// What the upgrade engine must know once the plan is committed.
struct upgrade_handover {
  std::string deployment;
  /// Set: a new walk (upgrade_engine::track with these settings). Empty: a
  /// rollback takes the walk over (reset_walk, set_operation).
  std::optional<model::upgrade_policy> policy;
  std::chrono::milliseconds domain_wait{0};
};

struct op_plan {
  std::string kind;
  std::string service;
  model::slot in_slot = model::slot::production;
  std::vector<model::model_edit> edits;   ///< one commit_all
  std::vector<std::string> forget;        ///< observed states to drop (wire names)
  std::vector<planned_command> commands;  ///< after the commit, in order
  /// The operation cannot go on without its commands: a command that cannot
  /// be queued (node not up) refuses it (503; such plans have no edits).
  bool commands_required = false;
  completion done;
  /// Deploy: the deployment's phase durations (memory only).
  std::optional<std::pair<std::string, std::map<std::string, uint32_t>>> phases;
  std::vector<superseded_operation> supersedes;
  std::optional<upgrade_handover> upgrade;
  accepted_info reply;
  std::string log;  ///< a line for the log once accepted ("{op}" = its id); may be empty
};

/// The read-only facts an operation's plan may use besides the model.
struct plan_inputs {
  /// Live nodes; their `load` counted over the model.
  std::vector<model::node_capacity> live;
  /// Image name or digest -> digest; empty when unknown.
  std::function<std::optional<std::string>(const std::string&)> resolve_image;
  std::vector<running_operation_info> running;
  /// Phase durations of a deployment that does not override them.
  std::map<std::string, uint32_t> default_phases;
  /// The upgrade engine: the operation driving a deployment's upgrade and its
  /// pause reason (empty: not paused); the default per-request settings.
  std::function<std::string(const std::string&)> upgrade_operation_of;
  std::function<std::string(const std::string&)> upgrade_paused_reason;
  model::upgrade_policy upgrade_policy;
  std::chrono::milliseconds upgrade_domain_wait{0};
  /// A uniform draw in [0, 1) for the reboot quirk.
  double reboot_draw = 1.0;
  /// Instance counts one request may ask for (controller_config::limits).
  model::count_limits limits;
};

// One plan function per operation. Each returns the plan or the refusal.
outcome<op_plan> plan_deploy(const model::fabric_model& m, const deploy_request& r,
                             const plan_inputs& in);
outcome<op_plan> plan_delete_deployment(const model::fabric_model& m,
                                        const delete_deployment_request& r, const plan_inputs& in);
outcome<op_plan> plan_swap(const model::fabric_model& m, const swap_request& r,
                           const plan_inputs& in);
outcome<op_plan> plan_set_status(const model::fabric_model& m, const set_status_request& r,
                                 const plan_inputs& in);
outcome<op_plan> plan_instance(const model::fabric_model& m, const instance_request& r,
                               const plan_inputs& in);
outcome<op_plan> plan_reboot_quirk(const model::fabric_model& m, const reboot_quirk_request& r,
                                   const plan_inputs& in);
outcome<op_plan> plan_change_configuration(const model::fabric_model& m,
                                           const change_configuration_request& r,
                                           const plan_inputs& in);
outcome<op_plan> plan_redeploy(const model::fabric_model& m, const redeploy_request& r,
                               const plan_inputs& in);
outcome<op_plan> plan_upgrade(const model::fabric_model& m, const upgrade_deployment_request& r,
                              const plan_inputs& in);
outcome<op_plan> plan_walk(const model::fabric_model& m, const walk_request& r,
                           const plan_inputs& in);
outcome<op_plan> plan_rollback(const model::fabric_model& m, const rollback_request& r,
                               const plan_inputs& in);

/// Dispatches to the plan of the request's kind, after the common check: at
/// most one operation in progress per (service, slot) (409), except upgrade,
/// walk and rollback, which decide themselves.
outcome<op_plan> plan_operation(const model::fabric_model& m, const operation_request& r,
                                const plan_inputs& in);

/// The refusal an operation of `kind` on `t` gets for its target alone, in the
/// order the API has always checked (before the request's members): an
/// operation in progress on the slot (409; not for upgrade, walk, rollback),
/// then, unless `busy_only`, an unknown service (404), a bad slot (400), no
/// deployment (404; deploy: an occupied slot, 409). Empty when the target is
/// fine. The JSON edge calls it when a body does not parse, so that a bad
/// body sent to a missing deployment still gets the 404.
std::optional<request_error> target_refusal(const model::fabric_model& m,
                                            const std::string& kind, const slot_target& t,
                                            const plan_inputs& in, bool busy_only = false);

/// Whether the reboot quirk needs a draw for this request (a reboot).
bool needs_reboot_draw(const operation_request& r);

} // namespace fabric::coordinator
