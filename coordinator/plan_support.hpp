#pragma once

// Helpers shared by the plan functions (plans.cpp, upgrade_plans.cpp): the
// one way a request's target is resolved and named. Internal to the plans.

#include <string>

#include <cstdint>
#include <optional>

#include "coordinator/plans.hpp"
#include "coordinator/requests.hpp"
#include "model/limits.hpp"
#include "model/edit.hpp"

namespace fabric::coordinator::detail {

inline std::string where(const std::string& service, model::slot s) {
  return service + "/" + model::to_string(s);
}

/// The deployment a request names (dep null when the slot is empty).
struct target {
  const model::hosted_service* service = nullptr;
  model::slot in_slot = model::slot::production;
  const model::deployment* dep = nullptr;
};

inline outcome<target> resolve_slot(const model::fabric_model& m, const slot_target& t) {
  auto svc = m.services.find(t.service);
  if (svc == m.services.end())
    return not_found("hosted service '" + t.service + "' does not exist");
  auto s = model::parse_slot(t.slot);
  if (!s)
    return bad_request("unknown slot '" + t.slot + "': expected production or staging");
  target out;
  out.service = &svc->second;
  out.in_slot = *s;
  if (auto& d = svc->second.in(*s))
    out.dep = &*d;
  return out;
}

inline outcome<target> resolve(const model::fabric_model& m, const slot_target& t) {
  auto r = resolve_slot(m, t);
  if (r && !r->dep)
    return not_found("no deployment in " + where(t.service, r->in_slot));
  return r;
}

/// The count limits (model/limits.hpp, issue 14) on a parsed and validated
/// configuration, before any instance is built, placed or journaled:
/// LimitExceeded (400) for a role or the deployment over `in.limits`; with
/// `with_capacity` (requests that place every instance anew: deploy,
/// redeploy) InsufficientCapacity (409) when the live nodes' capacities add
/// up to less. A change of configuration or an upgrade checks the limits
/// only, so that scaling down while nodes are away is never refused.
inline std::optional<request_error> over_limits(const model::service_configuration& cfg,
                                                const plan_inputs& in, bool with_capacity) {
  std::optional<std::int64_t> capacity;
  if (with_capacity) {
    std::int64_t total = 0;
    for (auto& n : in.live)
      total += n.capacity > 0 ? n.capacity : 0;
    capacity = total;
  }
  auto check = model::check_instance_counts(cfg, in.limits, capacity);
  if (check)
    return std::nullopt;
  if (check.violation == model::count_violation::cluster_capacity)
    return request_error{error_code::insufficient_capacity, check.message};
  return request_error{error_code::limit_exceeded, check.message};
}

} // namespace fabric::coordinator::detail
