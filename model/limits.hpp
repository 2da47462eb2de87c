#pragma once

// Bounds on what one request may ask of the cluster (issue 14: a .cscfg or a
// scale to 1,000,000,000 instances built every instance before any check and
// took the coordinator down). Checked first, on the parsed configuration,
// before anything is built, placed or journaled; a request over a limit is
// refused (HTTP 400 "LimitExceeded") with a message naming the role, the
// count and the limit.
//
// Pure functions, no I/O; safe to call from any thread.

#include <cstdint>
#include <optional>
#include <string>

#include "model/result.hpp"
#include "model/service_configuration.hpp"

namespace fabric::model {

/// The defaults fit the benches (bench/: one 10,000-instance role; 2 roles
/// of 5,000) with room to spare; fabric-coordinator --max-role-instances /
/// --max-deployment-instances change them.
struct count_limits {
  int max_role_instances = 10000;        ///< Instances@count of one role
  int max_deployment_instances = 20000;  ///< the sum over a deployment's roles
};

/// Why a count check failed.
enum class count_violation {
  none,
  role_limit,        ///< a role over max_role_instances
  deployment_limit,  ///< the deployment over max_deployment_instances
  cluster_capacity,  ///< more instances than the whole cluster can host
};

struct count_check {
  count_violation violation = count_violation::none;
  std::string message;  ///< empty when none
  explicit operator bool() const { return violation == count_violation::none; }
};

/// Checks every role's count and their sum against `limits` and, when given,
/// against `cluster_capacity` (the instances the cluster's live nodes can host
/// at most, counting none as used: a necessary condition only; placement
/// checks the real room). Counts below 1 are the parser's business and are
/// not reported here. (A scale is a configuration change: fabricctl scale
/// sends the whole configuration with the new count.) The first violation found is returned: roles in
/// document order, then the deployment, then the capacity.
count_check check_instance_counts(const service_configuration& cfg, const count_limits& limits,
                                  std::optional<std::int64_t> cluster_capacity = std::nullopt);

} // namespace fabric::model
