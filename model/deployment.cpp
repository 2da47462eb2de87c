#include "model/deployment.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

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

namespace {

/// Position of `name` in `v`, or v.size(). Instances are kept by role
/// (contiguous blocks) then index, so "<Role>_IN_<n>" is usually at the start
/// of its role's block + n: the blocks are found by binary search (O(roles *
/// log n)) and the guess is checked by name. When the guess misses (a gap in
/// the indices, or an order broken by hand) a linear scan decides, so the
/// answer never depends on the layout, only the speed does.
size_t position_of(const std::vector<instance>& v, const std::string& name) {
  auto sep = name.rfind("_IN_");
  if (sep != std::string::npos && sep + 4 < name.size()) {
    size_t n = 0;
    bool digits = true;
    for (size_t k = sep + 4; k < name.size() && digits; ++k) {
      digits = name[k] >= '0' && name[k] <= '9';
      n = n * 10 + static_cast<size_t>(name[k] - '0');
    }
    std::string_view role(name.data(), sep);
    for (size_t p = 0; digits && p < v.size();) {
      const std::string& block_role = v[p].role;
      auto end = std::partition_point(v.begin() + static_cast<std::ptrdiff_t>(p), v.end(),
                                      [&](const instance& x) { return x.role == block_role; });
      size_t block_end = static_cast<size_t>(end - v.begin());
      if (block_role == role) {
        if (p + n < block_end && v[p + n].name == name)
          return p + n;
        break;
      }
      p = block_end;
    }
  }
  for (size_t p = 0; p < v.size(); ++p)
    if (v[p].name == name)
      return p;
  return v.size();
}

} // namespace

const instance* deployment::find_instance(const std::string& instance_name) const {
  auto p = position_of(instances, instance_name);
  return p == instances.size() ? nullptr : &instances[p];
}

instance* deployment::find_instance(const std::string& instance_name) {
  auto p = position_of(instances, instance_name);
  return p == instances.size() ? nullptr : &instances[p];
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
