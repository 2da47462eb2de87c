#pragma once

// Placement: which upgrade domain (UD) and fault domain (FD) each role
// instance belongs to, and which live node hosts it. Pure functions: no clock,
// no randomness, same input => same output. Thread-safety: none needed (no
// shared state).
//
// Rules (docs/domain.md §2):
//  - UD: instance i of a role goes to UD i mod upgradeDomainCount (per role).
//  - Static FD rule (no live cluster yet): with F fault domains, FDs are
//    0..F-1 and instance n of a role goes to FD n mod F.
//  - Live placement (place_instances): instances that already have a node keep
//    it; every unplaced instance goes, in turn, to the node whose FD holds the
//    fewest instances of the same role, then the least-loaded node, then the
//    smallest node name. Unplaced instances are taken in rounds (each role's
//    first unplaced instance, then each role's second, ...), so that every
//    role gets its second FD while room is left. A role with >= 2 instances
//    therefore spans >= 2 FDs whenever two FDs have nodes with room for it.

#include <string>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"
#include "model/service_configuration.hpp"
#include "model/service_definition.hpp"

namespace fabric::model {

/// index mod upgrade_domain_count. REQUIRES: index >= 0, upgrade_domain_count >= 1.
int upgrade_domain_of(int index, int upgrade_domain_count);

/// The static FD rule: index mod fault_domain_count.
/// REQUIRES: index >= 0, fault_domain_count >= 1.
int static_fault_domain_of(int index, int fault_domain_count);

/// A live node as placement sees it. `load` counts the instances it hosts now
/// (the already placed ones included); `capacity` is how many it may host.
struct node_capacity {
  std::string name;
  int fault_domain = 0;
  int capacity = 0;
  int load = 0;
};

/// One decision of place_instances: host `instance` on `node` (in `fault_domain`).
struct placement_assignment {
  std::string instance;
  std::string node;
  int fault_domain = 0;
};

/// Chooses a node for every instance of `instances` whose `node` is empty,
/// following the rules above. `instances` may hold several roles; balance is
/// per role. Placed instances (non-empty `node`) count towards their role's
/// FD balance with their `fault_domain`. Returns the assignments in the order
/// they were decided; all or nothing: an error (naming the first instance
/// that finds no room, the live node count and the total free capacity) when
/// the live nodes cannot host every unplaced instance.
result<std::vector<placement_assignment>>
place_instances(const std::vector<instance>& instances, const std::vector<node_capacity>& nodes);

/// The instance list of a new deployment: for every role of the definition (in
/// definition order) instance_count instances "<Role>_IN_<n>", n = 0..count-1,
/// UD n mod the definition's upgrade_domain_count, FD by the static rule, no
/// node, state CreatingVM, running `version`.
/// Errors: a definition role missing in the configuration, a configuration
/// role missing in the definition, an instance count < 1, fault_domains < 1,
/// an upgrade domain count outside 1..20.
result<std::vector<instance>> build_instances(const service_definition& definition,
                                              const service_configuration& configuration,
                                              const std::string& version, int fault_domains);

/// Scales one role of an instance list to `count` instances. Scaling out adds
/// instances with the next indexes (after the highest existing index of that
/// role), UD round-robin and the static FD rule, no node, state CreatingVM,
/// running `version`; scaling in removes the highest indexes. Other roles are
/// untouched; the new instances follow the last instance of the role (or go
/// at the end when the role had none). REQUIRES: count >= 0,
/// upgrade_domain_count >= 1, fault_domains >= 1.
std::vector<instance> scale_role(std::vector<instance> instances, const std::string& role,
                                 int count, int upgrade_domain_count, int fault_domains,
                                 const std::string& version);

} // namespace fabric::model
