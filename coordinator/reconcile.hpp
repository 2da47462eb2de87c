#pragma once

// The controller's pure decisions (no CAF, no clock, no I/O): what to send to
// a node that (re-)registers, where to re-place the instances of a node that
// was declared down, and the instance_spec of an instance. The controller
// actor only carries these decisions out (journal the edits, send the
// commands). See coordinator/README.md ("Reconcile").
//
// Wire names: a node keys an instance's disks by the spec's `name` alone,
// and instance_report carries only that name, so the name must be unique in
// the whole cluster. The wire name of model instance I of deployment D is
// "D.I" (e.g. "guestbook-prod.Web_IN_0"); deployment names are restricted to
// [A-Za-z0-9_-] and unique across all services (the deploy operation checks
// both), so the wire name maps back to exactly one instance.
//
// Thread-safety: pure functions over their arguments.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/deployment.hpp"
#include "model/edit.hpp"
#include "model/placement.hpp"
#include "protocol/messages.hpp"

namespace fabric::coordinator {

/// "D.I". REQUIRES: `deployment` contains no '.'.
std::string wire_name(const std::string& deployment, const std::string& instance);

/// Where a model instance lives.
struct instance_ref {
  std::string service;
  model::slot in_slot = model::slot::production;
  std::string instance;  ///< the model name, "Web_IN_0"
};

/// The model instance a wire name denotes; empty when the model has none.
std::optional<instance_ref> locate(const model::fabric_model& m, const std::string& wire);

/// One command the controller should send.
struct planned_command {
  std::string node;
  protocol::command_kind kind = protocol::command_kind::start;
  std::string wire;              ///< the instance's wire name
  std::optional<instance_ref> ref;  ///< empty for a remove of an unknown instance
  std::string deployment_name;   ///< for a remove of an unknown instance
  bool reboot_degenerates = false;  ///< a reboot that is a reimage (the field quirk)
};

bool operator==(const planned_command& a, const planned_command& b);

/// Reconcile a node that (re-)registered holding `held`:
/// - a held instance the model places on `node` gets `start` (idempotent, data
///   kept), unless its deployment is suspended (nothing is sent then);
/// - a held instance the model places elsewhere, or does not know, gets
///   `remove` (never run twice);
/// - an instance the model places on `node` that it does not hold gets
///   `start` (fresh disks), unless its deployment is suspended.
/// Order: held instances in the order given, then the missing ones in model
/// order. Each wire name appears once.
std::vector<planned_command> reconcile_node(const model::fabric_model& m, const std::string& node,
                                            const std::vector<protocol::held_instance>& held);

/// The outcome of plan_healing.
struct heal_plan {
  std::vector<model::model_edit> edits;     ///< place_instance, in order
  std::vector<planned_command> commands;    ///< migrate_in to the new node
  std::vector<instance_ref> unplaced;       ///< no room left: node cleared, wait
  /// "<deployment>/<role>" of every role that spanned several fault domains
  /// and, after this plan, runs in one (the live nodes of the other FDs had
  /// no room): the controller reports it; plan_spread_restore undoes it.
  std::vector<std::string> spread_lost;
};

/// Service healing. Every instance placed on a node in `down` is moved (kept
/// UD; FD of its new node) to a node of `live` (model/placement rules, per
/// deployment, loads counted over the whole model); instances that are
/// already unplaced (node "") are placed too. An instance that finds no room
/// gets a place_instance edit to node "" (when it was placed) and is listed
/// in `unplaced`; it is placed by a later call (e.g. when a node comes up).
/// `live` must not contain the down nodes; its `load` fields are ignored
/// (recomputed from the model).
/// Fault-domain spread: placement puts each instance in the FD holding the
/// fewest instances of its role (model/placement.hpp), so a role never ends
/// in one FD while a live node of another FD has room; when no other FD has
/// room it does (availability first) and the role is listed in spread_lost.
heal_plan plan_healing(const model::fabric_model& m, const std::vector<std::string>& down,
                       std::vector<model::node_capacity> live);

/// A planned move that restores a role's fault-domain spread.
struct spread_move {
  instance_ref ref;
  std::string wire;
  std::string from_node;
  std::string to_node;
  int to_fault_domain = 0;
  int upgrade_domain = 0;
};

/// Restoring the spread after healing collapsed a role into one FD: for the
/// first role (model order) with >= 2 placed instances, all in one FD, while
/// a live node of another FD has room, the instances of ONE upgrade domain
/// (its lowest; when the role uses a single UD, every second instance of it,
/// so some stay) are moved to the nodes placement picks for them (the FDs
/// holding the fewest of the role first). One UD per call: the caller drains
/// and moves them (a planned move, like an upgrade-domain walk), waits until
/// they are ReadyRole, and calls again. Empty when every role keeps its
/// spread or no other FD has room. `live`'s loads are recomputed from the
/// model. Deployments with an upgrade or a suspension in progress are left
/// alone.
std::vector<spread_move> plan_spread_restore(const model::fabric_model& m,
                                             std::vector<model::node_capacity> live);

/// The full spec of an instance (role definition and configuration of its
/// deployment; the image digest is the deployment's `package`, or the upgrade's
/// target package for an instance already on the upgrade's target version).
/// REQUIRES: `ref` exists in `m`.
protocol::instance_spec make_spec(const model::fabric_model& m, const instance_ref& ref,
                                  const std::map<std::string, uint32_t>& phase_durations_ms);

} // namespace fabric::coordinator
