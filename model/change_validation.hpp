#pragma once

// Change validation: given the current and the new service model (definition
// and configuration), which update paths allow the change, and why not
// (docs/domain.md §3):
//
//   finding code                 in place          VIP swap   delete+deploy
//   endpoints_changed            yes               NO         yes
//   role_added / role_removed /
//   role_renamed                 NO                yes        yes
//   upgrade_domain_count_changed NO                yes        yes
//   local_storage_decreased      NO                yes        yes
//   vm_size_changed              only with Force   yes        yes
//                                (local data is lost)
//   instance_count_changed       yes               yes        yes  (informational)
//
// Delete and deploy is always allowed. A role renamed is a role removed plus
// a role added; when exactly as many roles of one kind are removed as added,
// they are paired in document order and reported as role_renamed.
// Endpoints are compared per role present in both models (count, and the
// kind and protocol of each endpoint by name); a role added or removed with
// endpoints also changes the deployment's endpoint count.
//
// Pure functions over values; thread-safe.

#include <string>
#include <vector>

#include "model/service_configuration.hpp"
#include "model/service_definition.hpp"

namespace fabric::model {

enum class update_path { in_place, vip_swap, delete_and_deploy };

/// "in_place", "vip_swap", "delete_and_deploy" (also the JSON keys).
const char* to_string(update_path p);

/// One difference between the current and the new model.
struct change_finding {
  std::string code;    ///< e.g. "endpoints_changed"
  std::string role;    ///< the role concerned; empty when service-wide
  std::string message; ///< one sentence naming the role/endpoint/resource
  bool blocks_in_place = false;
  bool in_place_needs_force = false; ///< allowed in place only with Force
  bool blocks_vip_swap = false;
};

/// Whether one path allows the change.
struct path_verdict {
  update_path path = update_path::in_place;
  bool allowed = true;
  /// In place only: allowed because Force was given (local data is lost).
  bool needs_force = false;
  /// The findings that forbid this path (or that need Force), in finding order.
  std::vector<change_finding> reasons;
};

struct change_report {
  std::vector<change_finding> findings; ///< every difference found, in model order
  std::vector<path_verdict> paths;      ///< in_place, vip_swap, delete_and_deploy

  /// REQUIRES: the report came from validate_change (all three paths present).
  const path_verdict& verdict(update_path p) const;
  /// True when there are no findings at all.
  bool unchanged() const { return findings.empty(); }
};

/// Compares the models. `force` is the Upgrade Deployment Force flag: with
/// it, a change that loses local data (VM size) is allowed in place.
change_report validate_change(const service_definition& current_definition,
                              const service_configuration& current_configuration,
                              const service_definition& new_definition,
                              const service_configuration& new_configuration, bool force = false);

/// A human rendering, e.g.
///   in place: not allowed
///     - role_renamed: role 'WebRole' appears renamed to 'FrontEnd' ...
///   vip swap: allowed
///   delete and deploy: allowed
std::string to_string(const change_report& report);

} // namespace fabric::model
