#include "model/walk_risk.hpp"

#include <algorithm>
#include <set>

namespace fabric::model {

namespace {

error make_error(std::string message) {
  error e;
  e.message = std::move(message);
  return e;
}

} // namespace

result<walk_risk_report> analyze_walk(const std::vector<walk_instance>& instances,
                                      const walk_risk_options& options) {
  if (options.min_capacity < 0)
    return make_error("minimum capacity must be 0 or more, got "
                      + std::to_string(options.min_capacity));
  int ud_count = options.upgrade_domain_count;
  if (ud_count <= 0)
    for (auto& in : instances)
      ud_count = std::max(ud_count, in.upgrade_domain + 1);
  if (ud_count <= 0)
    ud_count = 1;
  std::set<int> fds;
  std::vector<std::string> roles; // first-seen order, for the role filter check
  for (auto& in : instances) {
    if (in.upgrade_domain < 0 || in.upgrade_domain >= ud_count)
      return make_error("instance " + in.name + " is in UD " + std::to_string(in.upgrade_domain)
                        + ", outside 0.." + std::to_string(ud_count - 1));
    if (in.fault_domain < 0)
      return make_error("instance " + in.name + " has a negative fault domain");
    fds.insert(in.fault_domain);
    if (std::find(roles.begin(), roles.end(), in.role) == roles.end())
      roles.push_back(in.role);
  }
  if (!options.role.empty()
      && std::find(roles.begin(), roles.end(), options.role) == roles.end())
    return make_error("role '" + options.role + "' has no instances");
  walk_risk_report report;
  report.upgrade_domain_count = ud_count;
  report.order = options.order;
  if (report.order.empty())
    for (int u = 0; u < ud_count; ++u)
      report.order.push_back(u);
  std::set<int> seen;
  for (int u : report.order) {
    if (u < 0 || u >= ud_count)
      return make_error("walk order entry " + std::to_string(u) + " is not an upgrade domain: there "
                        + (ud_count == 1 ? "is 1 UD (0)" : "are " + std::to_string(ud_count)
                           + " UDs (0.." + std::to_string(ud_count - 1) + ")"));
    if (!seen.insert(u).second)
      return make_error("UD " + std::to_string(u) + " appears twice in the walk order");
  }
  auto walked = [&](const walk_instance& in) {
    return options.role.empty() || in.role == options.role;
  };
  for (int u : report.order) {
    walk_step step;
    step.upgrade_domain = u;
    std::vector<bool> up(instances.size(), true);
    for (size_t i = 0; i < instances.size(); ++i)
      if (walked(instances[i]) && instances[i].upgrade_domain == u) {
        step.down.push_back(instances[i].name);
        up[i] = false;
      }
    if (options.surge) {
      // Decide on the instances that stay up without surge, so that the
      // decision does not depend on the order in which surges are taken.
      std::vector<bool> stays = up;
      for (size_t i = 0; i < instances.size(); ++i) {
        if (stays[i])
          continue;
        bool alone = true;
        for (size_t j = 0; j < instances.size() && alone; ++j)
          if (stays[j] && instances[j].role == instances[i].role
              && instances[j].fault_domain == instances[i].fault_domain)
            alone = false;
        if (alone) {
          step.surged.push_back(instances[i].name);
          up[i] = true; // the replacement, in the same FD
        }
      }
    }
    std::set<std::string> roles_down;
    for (size_t i = 0; i < instances.size(); ++i)
      if (walked(instances[i]) && instances[i].upgrade_domain == u)
        roles_down.insert(instances[i].role);
    for (auto& r : roles) {
      int cap = 0;
      std::map<int, int> per_fd;
      for (size_t i = 0; i < instances.size(); ++i)
        if (up[i] && instances[i].role == r) {
          ++cap;
          ++per_fd[instances[i].fault_domain];
        }
      int worst = cap;
      int worst_fd = fds.empty() ? 0 : *fds.begin();
      for (int f : fds) {
        int left = cap - (per_fd.count(f) ? per_fd[f] : 0);
        if (left < worst) {
          worst = left;
          worst_fd = f;
        }
      }
      step.capacity[r] = cap;
      step.capacity_if_fd_fails[r] = worst;
      step.worst_fault_domain[r] = worst_fd;
      if (roles_down.count(r) && worst < options.min_capacity)
        step.roles_at_risk.push_back(r);
    }
    std::sort(step.roles_at_risk.begin(), step.roles_at_risk.end());
    step.at_risk = !step.roles_at_risk.empty();
    report.at_risk = report.at_risk || step.at_risk;
    report.steps.push_back(std::move(step));
  }
  return report;
}

result<walk_risk_report> analyze_walk(const deployment& d, walk_risk_options options) {
  if (options.upgrade_domain_count <= 0)
    options.upgrade_domain_count = d.definition.upgrade_domain_count;
  std::vector<walk_instance> xs;
  xs.reserve(d.instances.size());
  for (auto& in : d.instances)
    xs.push_back(walk_instance{in.name, in.role, in.upgrade_domain, in.fault_domain});
  return analyze_walk(xs, options);
}

std::string to_string(const walk_risk_report& report) {
  std::string out;
  for (auto& s : report.steps) {
    out += "UD " + std::to_string(s.upgrade_domain) + ": down";
    if (s.down.empty())
      out += " nothing";
    for (size_t i = 0; i < s.down.size(); ++i)
      out += (i ? ", " : " ") + s.down[i];
    if (!s.surged.empty()) {
      out += " (surged:";
      for (auto& n : s.surged)
        out += " " + n;
      out += ")";
    }
    for (auto& [role, cap] : s.capacity)
      out += "; " + role + " " + std::to_string(cap) + " up, "
             + std::to_string(s.capacity_if_fd_fails.at(role)) + " if FD "
             + std::to_string(s.worst_fault_domain.at(role)) + " fails";
    if (s.at_risk)
      out += "  AT RISK";
    out += "\n";
  }
  return out;
}

} // namespace fabric::model
