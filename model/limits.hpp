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
#include <string_view>

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

/// Lengths of free-text fields, in characters (UTF-8 code points), as the
/// Service Management API documents them: a label at most 100, a
/// description at most 1024; a location (a region name) at most 100 (issue
/// 14: a 60 MB Description was accepted and journaled on every change).
constexpr std::size_t max_label_chars = 100;
constexpr std::size_t max_description_chars = 1024;
constexpr std::size_t max_location_chars = 100;

/// Empty when `value` has at most `max_chars` characters; else "<field> has
/// N characters; at most M are allowed". Invalid UTF-8 counts bytes.
std::string text_field_error(const std::string& field, std::string_view value,
                             std::size_t max_chars);

/// The quota of an instance's OS disk layer (its writes over the shared base
/// image) in MB, from the role's vmsize: the classic Cloud Services sizes'
/// local disk allowance, one MB here per GB there (a simulated instance
/// cannot fill a host): ExtraSmall 20, Small 225, Medium 490, Large 1000,
/// ExtraLarge 2040, A5 490, A6 1000, A7 2040, A8/A9 1817, A10/A11 1817 (the
/// Azure sizes table of 2015). Any other size (names are matched without
/// case) gets Small's 225.
std::uint64_t os_disk_quota_mb(const std::string& vm_size);

} // namespace fabric::model
