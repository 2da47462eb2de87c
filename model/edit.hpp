#pragma once

// Edits: every change to a fabric_model is one of these plain values, applied
// by the single function apply(). The coordinator journals each edit before
// applying it, so replaying the journal rebuilds the model. Edits are plain
// structs with public fields (serialisable elsewhere).
//
// apply() validates first: on error the model is left exactly as it was
// (revision included); on success `revision` is incremented by one.
// Thread-safety: apply() mutates its model argument; the caller serialises.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"

namespace fabric::model {

struct create_hosted_service {
  std::string name;
  std::string label;
  std::string description;
  std::string location;
};

/// Refused while the service still holds a deployment in either slot.
struct delete_hosted_service {
  std::string name;
};

/// Puts `value` into the slot (its in_slot is set to `in_slot`). Refused when
/// the slot is occupied or the other slot's deployment has the same name.
struct create_deployment {
  std::string service;
  slot in_slot = slot::staging;
  deployment value;
};

struct delete_deployment {
  std::string service;
  slot in_slot = slot::staging;
};

/// Exchanges the production and staging deployments (VIP swap). Refused when
/// both slots are empty or an upgrade is in flight in either slot.
struct swap_slots {
  std::string service;
};

struct set_deployment_status {
  std::string service;
  slot in_slot = slot::staging;
  deployment_status status = deployment_status::running;
};

struct set_instance_state {
  std::string service;
  slot in_slot = slot::staging;
  std::string instance;
  instance_state state = instance_state::creating_vm;
};

/// Records the node (and its fault domain) that hosts an instance. An empty
/// node marks the instance unplaced (e.g. before relocation).
struct place_instance {
  std::string service;
  slot in_slot = slot::staging;
  std::string instance;
  std::string node;
  int fault_domain = 0;
};

struct set_instance_version {
  std::string service;
  slot in_slot = slot::staging;
  std::string instance;
  std::string version;
};

/// Replaces the deployment's configuration and scales every role to its new
/// instance count (placement.hpp's scale_role: new instances get the next
/// indexes, UD round-robin, static FD rule over `fault_domains`, no node,
/// CreatingVM, the deployment's version; scale-in drops the highest indexes).
/// fault_domains <= 0: one more than the highest FD among the deployment's
/// instances (1 when it has none). Refused when a role is missing on either
/// side or a count is < 1.
struct set_configuration {
  std::string service;
  slot in_slot = slot::staging;
  service_configuration configuration;
  int fault_domains = 0;
};

/// Starts an upgrade. Refused when one is already in flight.
struct begin_upgrade {
  std::string service;
  slot in_slot = slot::staging;
  upgrade_status upgrade;
};

/// Moves the upgrade in flight along. Refused when none is in flight.
struct update_upgrade {
  std::string service;
  slot in_slot = slot::staging;
  int current_upgrade_domain = 0;
  upgrade_domain_state current_state = upgrade_domain_state::before;
  std::vector<int> walked;
  std::optional<bool> rolling_back; ///< unchanged when empty
};

/// Ends the upgrade in flight. When `completed` and not rolling back, the
/// deployment's version and package become the upgrade's target ones.
struct end_upgrade {
  std::string service;
  slot in_slot = slot::staging;
  bool completed = true;
};

/// Sets the reboot-degenerates-into-reimage probability (0..1), for the whole
/// deployment or (non-empty `instance`) for one instance.
struct set_reboot_reimage_probability {
  std::string service;
  slot in_slot = slot::staging;
  std::string instance;
  double probability = 0.0;
};

using model_edit =
  std::variant<create_hosted_service, delete_hosted_service, create_deployment, delete_deployment,
               swap_slots, set_deployment_status, set_instance_state, place_instance,
               set_instance_version, set_configuration, begin_upgrade, update_upgrade,
               end_upgrade, set_reboot_reimage_probability>;

/// The edit's stable name, e.g. "create_deployment" (the struct's name).
const char* edit_name(const model_edit& edit);

/// Applies `edit` to `model`. On error the model is unchanged and the error
/// says what is wrong, e.g. "hosted service 'svc' does not exist".
status apply(fabric_model& model, const model_edit& edit);

} // namespace fabric::model
