#include "monitoring/aggregation.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace fabric::monitoring {

namespace {

double ratio_of(int ready, int wanted) {
  return wanted > 0 ? static_cast<double>(ready) / wanted : 1.0;
}

// Roles in definition order, then roles only the instances name.
std::vector<std::string> roles_of(const model::deployment& d) {
  std::vector<std::string> out;
  for (const auto& r : d.definition.roles)
    out.push_back(r.name);
  for (const auto& i : d.instances)
    if (std::find(out.begin(), out.end(), i.role) == out.end())
      out.push_back(i.role);
  return out;
}

struct counts {
  int assigned = 0;
  int ready = 0;
  int target = 0; // on the upgrade's target version
};

} // namespace

void model_gauges::append(const model_gauges& other) {
  auto add = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
  add(instances, other.instances);
  add(roles, other.roles);
  add(upgrade_domains, other.upgrade_domains);
  add(fault_domains, other.fault_domains);
  add(versions, other.versions);
  add(upgrades, other.upgrades);
  add(upgrade_domain_walks, other.upgrade_domain_walks);
  add(upgrade_domain_updates, other.upgrade_domain_updates);
}

model_gauges aggregate(const std::string& service, const model::deployment& d) {
  model_gauges out;
  const std::string slot = model::to_string(d.in_slot);
  const auto& up = d.upgrade;
  for (const auto& role : roles_of(d)) {
    // (ud, fd, state) -> count; the enum order sorts states as the model lists them.
    std::map<std::tuple<int, int, model::instance_state>, int> by_cell;
    std::map<int, counts> by_ud, by_fd;
    std::map<std::string, int> by_version;
    std::set<std::string> serving_versions;
    int total = 0, ready = 0;
    for (const auto& i : d.instances) {
      if (i.role != role)
        continue;
      ++total;
      bool serving = model::is_serving(i.state);
      bool on_target = up && i.version == up->target_version;
      ++by_cell[{i.upgrade_domain, i.fault_domain, i.state}];
      for (auto* c : {&by_ud[i.upgrade_domain], &by_fd[i.fault_domain]}) {
        ++c->assigned;
        c->ready += serving;
        c->target += on_target;
      }
      ++by_version[i.version];
      if (serving) {
        ++ready;
        serving_versions.insert(i.version);
      }
    }
    for (const auto& [key, n] : by_cell) {
      const auto& [ud, fd, state] = key;
      out.instances.push_back({service, slot, role, ud, fd, model::to_string(state), n});
    }
    const auto* rc = d.configuration.find_role(role);
    int desired = rc ? rc->instance_count : total;
    out.roles.push_back({service, slot, role, desired, ready, ratio_of(ready, desired),
                         static_cast<int>(serving_versions.size())});
    for (const auto& [ud, c] : by_ud)
      out.upgrade_domains.push_back({service, slot, role, ud, c.assigned, c.ready,
                                     ratio_of(c.ready, c.assigned)});
    for (const auto& [fd, c] : by_fd)
      out.fault_domains.push_back({service, slot, role, fd, c.assigned, c.ready,
                                   ratio_of(c.ready, c.assigned)});
    for (const auto& [version, n] : by_version)
      out.versions.push_back({service, slot, role, version, n});
    if (up && (up->role.empty() || up->role == role))
      for (const auto& [ud, c] : by_ud)
        out.upgrade_domain_updates.push_back({service, slot, role, ud,
                                              ratio_of(c.target, c.assigned)});
  }
  if (up) {
    // During: the current UD is being updated. Once it is walked (an Auto
    // walk's per-UD wait before the next UD), it is not During any more.
    bool current_walked = std::find(up->walked.begin(), up->walked.end(),
                                    up->current_upgrade_domain) != up->walked.end();
    out.upgrades.push_back({service, slot, model::to_string(up->mode), up->current_upgrade_domain,
                            up->current_state == model::upgrade_domain_state::during
                              && !current_walked,
                            static_cast<int>(up->walked.size()),
                            static_cast<int>(up->order.size()), up->target_version});
    std::vector<int> order = up->order;
    if (order.empty())
      for (int u = 0; u < d.definition.upgrade_domain_count; ++u)
        order.push_back(u);
    std::sort(order.begin(), order.end());
    order.erase(std::unique(order.begin(), order.end()), order.end());
    for (int ud : order) {
      bool walked = std::find(up->walked.begin(), up->walked.end(), ud) != up->walked.end();
      out.upgrade_domain_walks.push_back({service, slot, ud, walked});
    }
  }
  return out;
}

model_gauges aggregate(const model::fabric_model& m) {
  model_gauges out;
  for (const auto& [name, hs] : m.services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (const auto& d = hs.in(s))
        out.append(aggregate(name, *d));
  return out;
}

std::vector<walk_min_row> update_walk_minimum(const std::vector<walk_min_row>& previous,
                                              const model_gauges& now) {
  std::map<std::pair<std::string, std::string>, std::string> walking; // (service, slot) -> target
  for (const auto& u : now.upgrades)
    walking[{u.service, u.slot}] = u.target_version;
  std::vector<walk_min_row> out;
  for (const auto& r : now.roles) {
    auto w = walking.find({r.service, r.slot});
    if (w == walking.end())
      continue;
    walk_min_row row{r.service, r.slot, r.role, w->second, r.ratio};
    for (const auto& p : previous)
      if (p.service == row.service && p.slot == row.slot && p.role == row.role
          && p.target_version == row.target_version)
        row.min_ratio = std::min(row.min_ratio, p.min_ratio);
    out.push_back(std::move(row));
  }
  return out;
}

} // namespace fabric::monitoring
