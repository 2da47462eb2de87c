#pragma once

// The aggregated gauge rows of the deployment model: what the coordinator
// exports about its deployments. Pure functions: no clock, no I/O, no
// prometheus-cpp; same input => same output. Thread-safety: none needed.
//
// Cardinality: the rows depend on the *shape* of a deployment (roles, UDs,
// FDs, states and versions present), never on its instance count. For one
// deployment with R roles, U upgrade domains, F fault domains, K states and
// V versions present, at most
//   instances            R*U*F*K
//   roles                R         (each row gives 4 series)
//   upgrade_domains      R*U
//   fault_domains        R*F
//   versions             R*V
//   upgrades             1         (7 series: 3 modes, current, during, walked, total)
//   upgrade_domain_walks U
//   upgrade_domain_updates R*U
// rows exist (the upgrade rows only while an upgrade is in flight).

#include <string>
#include <vector>

#include "model/deployment.hpp"

namespace fabric::monitoring {

/// fabric_instances{service,slot,role,upgrade_domain,fault_domain,state} = count.
struct instance_count_row {
  std::string service;
  std::string slot;  ///< "production" / "staging"
  std::string role;
  int upgrade_domain = 0;
  int fault_domain = 0;
  std::string state; ///< the platform's name, e.g. "ReadyRole"
  int count = 0;     ///< > 0: combinations without instances have no row
};

/// Per role: desired, ready, their ratio and the versions serving.
struct role_capacity_row {
  std::string service;
  std::string slot;
  std::string role;
  int desired = 0; ///< the configuration's instance count (the model's count if absent)
  int ready = 0;   ///< instances in ReadyRole
  double ratio = 0.0;       ///< ready / desired; 1 when desired is 0
  int versions_serving = 0; ///< distinct versions among ReadyRole instances
};

/// Per role and upgrade domain (or fault domain): ready over assigned.
struct domain_capacity_row {
  std::string service;
  std::string slot;
  std::string role;
  int domain = 0;
  int assigned = 0; ///< instances of the role in that domain (> 0)
  int ready = 0;
  double ratio = 0.0; ///< ready / assigned
};

/// fabric_role_version_instances{service,slot,role,version} = instances.
struct version_row {
  std::string service;
  std::string slot;
  std::string role;
  std::string version;
  int instances = 0;
};

/// The upgrade in flight on one deployment.
struct upgrade_row {
  std::string service;
  std::string slot;
  std::string mode; ///< "Auto", "Manual", "Simultaneous"
  int current_upgrade_domain = 0;
  bool during = false; ///< the current UD is During its update (and not walked yet)
  int walked = 0;
  int total = 0; ///< UDs in the walk order
  std::string target_version;
};

/// Per UD of a walk in flight: walked or not.
struct upgrade_domain_walk_row {
  std::string service;
  std::string slot;
  int upgrade_domain = 0;
  bool walked = false;
};

/// Per role and UD of a walk in flight: share of instances on the target version.
struct upgrade_domain_update_row {
  std::string service;
  std::string slot;
  std::string role;
  int upgrade_domain = 0;
  double ratio = 0.0;
};

/// Every gauge row of some deployments.
struct model_gauges {
  std::vector<instance_count_row> instances;
  std::vector<role_capacity_row> roles;
  std::vector<domain_capacity_row> upgrade_domains;
  std::vector<domain_capacity_row> fault_domains;
  std::vector<version_row> versions;
  std::vector<upgrade_row> upgrades;
  std::vector<upgrade_domain_walk_row> upgrade_domain_walks;
  std::vector<upgrade_domain_update_row> upgrade_domain_updates;

  /// Appends every row of `other`.
  void append(const model_gauges& other);
};

/// The rows of one deployment of hosted service `service`. Rows are sorted by
/// their labels (roles in definition order, then by domain/state/version).
/// An upgrade restricted to one role (upgrade_status::role) only produces
/// update rows for that role.
model_gauges aggregate(const std::string& service, const model::deployment& d);

/// The rows of every deployment of the model (services in name order,
/// production before staging).
model_gauges aggregate(const model::fabric_model& m);

/// fabric_walk_min_capacity_ratio{service,slot,role}.
struct walk_min_row {
  std::string service;
  std::string slot;
  std::string role;
  std::string target_version; ///< the walk it belongs to
  double min_ratio = 1.0;
};

/// Folds the current role ratios into the minimum of each walk in flight.
/// For each role of a deployment with an upgrade in flight: the minimum of
/// the previous row of the same (service, slot, role, target version), if
/// any, and the current ratio. A deployment with no upgrade in flight has no
/// row, so the next walk starts afresh; a new target version starts afresh too.
std::vector<walk_min_row> update_walk_minimum(const std::vector<walk_min_row>& previous,
                                              const model_gauges& now);

} // namespace fabric::monitoring
