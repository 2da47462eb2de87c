#include "model/deployment.hpp"

#include <algorithm>
#include <cctype>

#include "model/text.hpp"

namespace fabric::model {

const char* to_string(slot s) {
  return s == slot::production ? "production" : "staging";
}

std::optional<slot> parse_slot(std::string_view name) {
  if (iequals(name, "production"))
    return slot::production;
  if (iequals(name, "staging"))
    return slot::staging;
  return std::nullopt;
}

const char* to_string(deployment_status s) {
  switch (s) {
    case deployment_status::running: return "Running";
    case deployment_status::suspended: return "Suspended";
    case deployment_status::running_transitioning: return "RunningTransitioning";
    case deployment_status::suspended_transitioning: return "SuspendedTransitioning";
    case deployment_status::starting: return "Starting";
    case deployment_status::suspending: return "Suspending";
    case deployment_status::deploying: return "Deploying";
    case deployment_status::deleting: return "Deleting";
  }
  return "Running";
}

std::optional<deployment_status> parse_deployment_status(std::string_view name) {
  for (auto s : {deployment_status::running, deployment_status::suspended,
                 deployment_status::running_transitioning,
                 deployment_status::suspended_transitioning, deployment_status::starting,
                 deployment_status::suspending, deployment_status::deploying,
                 deployment_status::deleting})
    if (name == to_string(s))
      return s;
  return std::nullopt;
}

std::string instance_name(const std::string& role, int index) {
  return role + "_IN_" + std::to_string(index);
}

const char* to_string(upgrade_mode m) {
  switch (m) {
    case upgrade_mode::automatic: return "Auto";
    case upgrade_mode::manual: return "Manual";
    case upgrade_mode::simultaneous: return "Simultaneous";
  }
  return "Auto";
}

std::optional<upgrade_mode> parse_upgrade_mode(std::string_view name) {
  if (iequals(name, "Auto") || iequals(name, "Automatic"))
    return upgrade_mode::automatic;
  if (iequals(name, "Manual"))
    return upgrade_mode::manual;
  if (iequals(name, "Simultaneous"))
    return upgrade_mode::simultaneous;
  return std::nullopt;
}

const char* to_string(upgrade_domain_state s) {
  return s == upgrade_domain_state::before ? "Before" : "During";
}

const instance* deployment::find_instance(const std::string& instance_name) const {
  auto i = std::find_if(instances.begin(), instances.end(),
                        [&](const instance& x) { return x.name == instance_name; });
  return i == instances.end() ? nullptr : &*i;
}

instance* deployment::find_instance(const std::string& instance_name) {
  auto i = std::find_if(instances.begin(), instances.end(),
                        [&](const instance& x) { return x.name == instance_name; });
  return i == instances.end() ? nullptr : &*i;
}

std::vector<const instance*> deployment::role_instances(const std::string& role) const {
  std::vector<const instance*> out;
  for (const auto& x : instances)
    if (x.role == role)
      out.push_back(&x);
  std::stable_sort(out.begin(), out.end(),
                   [](const instance* a, const instance* b) { return a->index < b->index; });
  return out;
}

} // namespace fabric::model
