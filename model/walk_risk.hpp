#pragma once

// Walk-order risk analysis (the "domain matrix" of docs/domain.md §2): for a
// walk over the upgrade domains, what capacity each role keeps at every step,
// and what it keeps if any single fault domain also fails during that step.
//
// Worked example (domain.md §2), upgradeDomainCount = 3, two FDs:
//
//   instance  UD  FD        step UD 0: down {0}; up {1@FD1, 2@FD0}; worst FD loss leaves 1
//      0       0   0        step UD 1: down {1}; up {0@FD0, 2@FD0}; FD 0 fails -> 0 left: AT RISK
//      1       1   1        step UD 2: down {2}; up {0@FD0, 1@FD1}; worst FD loss leaves 1
//      2       2   0
//
// Surge model: with `surge`, an instance that is "alone in its FD" is replaced
// before it stops. "Alone" means: no other instance of its role that stays up
// during the step (i.e. is not in the UD being walked) lives in its FD. The
// replacement is started in the same FD (a node agent stands for one FD), so
// for the arithmetic that instance counts as up, in its own FD: the step then
// costs no capacity for it, and an FD failure removes it exactly as it would
// have removed the original. Instances that are not alone are stopped as usual.
//
// Pure functions over values; thread-safe (no shared state).

#include <map>
#include <string>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"

namespace fabric::model {

/// One instance as the analysis sees it.
struct walk_instance {
  std::string name;
  std::string role;
  int upgrade_domain = 0;
  int fault_domain = 0;
};

struct walk_risk_options {
  /// The walk order: distinct UDs, each in [0, U). Empty = 0, 1, ..., U-1. A
  /// partial order (e.g. the rest of a walk from a chosen starting point) is
  /// allowed; only the listed UDs get a step.
  std::vector<int> order;
  /// U. 0 = derived from the instances (highest UD + 1).
  int upgrade_domain_count = 0;
  /// Only this role is walked (its instances go down); empty = every role.
  /// Roles that are not walked keep all their instances up at every step.
  std::string role;
  /// A step is at risk when a walked role that has instances down in that
  /// step would keep fewer than this many instances after the worst single FD
  /// failure. Default 1: at risk when a role can drop to zero.
  int min_capacity = 1;
  /// Replacement before stop for instances alone in their FD (see above).
  bool surge = false;
};

/// One step of the walk: the UD being upgraded and what is left.
struct walk_step {
  int upgrade_domain = 0;
  /// Instances taken down in this step (walked roles in this UD), in input
  /// order. Surged instances are listed here and also in `surged`.
  std::vector<std::string> down;
  /// Instances whose replacement is started first (only with surge).
  std::vector<std::string> surged;
  /// Per role (every role of the input): instances up during the step.
  std::map<std::string, int> capacity;
  /// Per role: instances up if, in addition, the worst single FD fails (the
  /// minimum over every FD present in the input).
  std::map<std::string, int> capacity_if_fd_fails;
  /// Per role: the FD whose failure gives that minimum (lowest such FD).
  std::map<std::string, int> worst_fault_domain;
  /// Walked roles with instances down in this step whose capacity after the
  /// worst FD failure is under min_capacity, sorted by name.
  std::vector<std::string> roles_at_risk;
  bool at_risk = false;
};

struct walk_risk_report {
  int upgrade_domain_count = 0;
  std::vector<int> order; ///< the order analysed (the default one if none given)
  std::vector<walk_step> steps; ///< one per UD of the order, in order
  bool at_risk = false;         ///< any step at risk
};

/// Analyses a walk. Errors (with a sentence naming the culprit): an order
/// entry outside [0, U), a UD listed twice, an instance whose UD is outside
/// [0, U), a negative FD, min_capacity < 0, or a role filter that names no
/// instance.
result<walk_risk_report> analyze_walk(const std::vector<walk_instance>& instances,
                                      const walk_risk_options& options);

/// Same, over a deployment's instances. U defaults to the definition's
/// upgradeDomainCount when options.upgrade_domain_count is 0.
result<walk_risk_report> analyze_walk(const deployment& d, walk_risk_options options);

/// A short human summary, one line per step, e.g.
/// "UD 1: down WebRole_IN_1; WebRole 2 up, 0 if FD 0 fails  AT RISK".
std::string to_string(const walk_risk_report& report);

} // namespace fabric::model
