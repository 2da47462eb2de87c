#pragma once

// Helpers shared by the plan functions (plans.cpp, upgrade_plans.cpp): the
// one way a request's target is resolved and named. Internal to the plans.

#include <string>

#include "coordinator/requests.hpp"
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

} // namespace fabric::coordinator::detail
