#pragma once

// The count limits of model/limits.hpp applied to a controller request
// (issue 14): called right after a configuration is parsed and validated,
// before any instance is built, placed or journaled.
//
//   400 LimitExceeded          a role or the deployment over
//                              controller_config::limits
//   409 InsufficientCapacity   (with_capacity only) more instances than the
//                              live nodes' capacities add up to: the same
//                              answer placement gives, given before building
//
// with_capacity is for requests that place every instance anew (deploy,
// redeploy); a change of configuration or an upgrade checks the limits only,
// so that scaling down while nodes are away is never refused.

#include <cstdint>
#include <optional>

#include "coordinator/controller.hpp"
#include "model/limits.hpp"

namespace fabric::coordinator {

inline std::optional<api_result> refuse_over_limits(const controller& c,
                                                    const model::service_configuration& cfg,
                                                    bool with_capacity) {
  std::optional<std::int64_t> capacity;
  if (with_capacity) {
    std::int64_t total = 0;
    for (auto& n : c.live_capacity())
      total += n.capacity > 0 ? n.capacity : 0;
    capacity = total;
  }
  auto check = model::check_instance_counts(cfg, c.config().limits, capacity);
  if (check)
    return std::nullopt;
  if (check.violation == model::count_violation::cluster_capacity)
    return api_error(409, "InsufficientCapacity", check.message);
  return api_error(400, "LimitExceeded", check.message);
}

} // namespace fabric::coordinator
