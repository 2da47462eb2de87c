#include "model/placement.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace fabric::model {

int upgrade_domain_of(int index, int upgrade_domain_count) {
  return index % upgrade_domain_count;
}

int static_fault_domain_of(int index, int fault_domain_count) {
  return index % fault_domain_count;
}

result<std::vector<placement_assignment>>
place_instances(const std::vector<instance>& instances, const std::vector<node_capacity>& nodes) {
  // role -> fd -> count of that role's instances in the fd
  std::map<std::string, std::map<int, int>> role_fd;
  // Unplaced instances grouped per role, in input order; roles in order of first appearance.
  std::vector<std::string> roles;
  std::map<std::string, std::vector<const instance*>> pending;
  for (const auto& x : instances) {
    if (!x.node.empty()) {
      ++role_fd[x.role][x.fault_domain];
      continue;
    }
    if (pending.find(x.role) == pending.end())
      roles.push_back(x.role);
    pending[x.role].push_back(&x);
  }
  // Rounds: every role's k-th unplaced instance before any role's (k+1)-th.
  std::vector<const instance*> order;
  for (size_t k = 0;; ++k) {
    bool any = false;
    for (const auto& r : roles) {
      const auto& v = pending[r];
      if (k < v.size()) {
        order.push_back(v[k]);
        any = true;
      }
    }
    if (!any)
      break;
  }
  std::vector<int> load;
  load.reserve(nodes.size());
  for (const auto& n : nodes)
    load.push_back(n.load);
  std::vector<placement_assignment> out;
  out.reserve(order.size());
  for (const auto* x : order) {
    auto& fd_count = role_fd[x->role];
    const node_capacity* best = nullptr;
    size_t best_i = 0;
    std::tuple<int, int, std::string> best_key;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const auto& n = nodes[i];
      if (load[i] >= n.capacity)
        continue;
      auto it = fd_count.find(n.fault_domain);
      std::tuple<int, int, std::string> key{it == fd_count.end() ? 0 : it->second, load[i],
                                            n.name};
      if (best == nullptr || key < best_key) {
        best = &n;
        best_i = i;
        best_key = std::move(key);
      }
    }
    if (best == nullptr) {
      long long free_total = 0;
      for (size_t i = 0; i < nodes.size(); ++i)
        free_total += std::max(0, nodes[i].capacity - nodes[i].load);
      return error{"no capacity: cannot place instance '" + x->name + "': "
                   + std::to_string(nodes.size()) + " live node(s) with "
                   + std::to_string(free_total) + " free slot(s) in total for "
                   + std::to_string(order.size()) + " unplaced instance(s)"};
    }
    ++load[best_i];
    ++fd_count[best->fault_domain];
    out.push_back(placement_assignment{x->name, best->name, best->fault_domain});
  }
  return out;
}

namespace {

const role_configuration* find_config(const service_configuration& cfg,
                                      const std::string& role) {
  for (const auto& r : cfg.roles)
    if (r.name == role)
      return &r;
  return nullptr;
}

bool defined(const service_definition& def, const std::string& role) {
  for (const auto& r : def.roles)
    if (r.name == role)
      return true;
  return false;
}

instance make_instance(const std::string& role, int index, int ud_count, int fd_count,
                       const std::string& version) {
  instance x;
  x.name = instance_name(role, index);
  x.role = role;
  x.index = index;
  x.upgrade_domain = upgrade_domain_of(index, ud_count);
  x.fault_domain = static_fault_domain_of(index, fd_count);
  x.state = instance_state::creating_vm;
  x.version = version;
  return x;
}

} // namespace

result<std::vector<instance>> build_instances(const service_definition& definition,
                                              const service_configuration& configuration,
                                              const std::string& version, int fault_domains) {
  if (fault_domains < 1)
    return error{"fault domain count must be at least 1, got " + std::to_string(fault_domains)};
  int uds = definition.upgrade_domain_count;
  if (uds < 1 || uds > max_upgrade_domain_count)
    return error{"upgradeDomainCount must be between 1 and "
                 + std::to_string(max_upgrade_domain_count) + ", got " + std::to_string(uds)};
  for (const auto& rc : configuration.roles)
    if (!defined(definition, rc.name))
      return error{"role '" + rc.name
                   + "' is in the service configuration but not in the service definition"};
  std::vector<instance> out;
  for (const auto& rd : definition.roles) {
    const auto* rc = find_config(configuration, rd.name);
    if (rc == nullptr)
      return error{"role '" + rd.name
                   + "' is in the service definition but not in the service configuration"};
    if (rc->instance_count < 1)
      return error{"role '" + rd.name + "': instance count must be at least 1, got "
                   + std::to_string(rc->instance_count)};
    for (int i = 0; i < rc->instance_count; ++i)
      out.push_back(make_instance(rd.name, i, uds, fault_domains, version));
  }
  return out;
}

std::vector<instance> scale_role(std::vector<instance> instances, const std::string& role,
                                 int count, int upgrade_domain_count, int fault_domains,
                                 const std::string& version) {
  std::vector<int> indexes;
  for (const auto& x : instances)
    if (x.role == role)
      indexes.push_back(x.index);
  std::sort(indexes.begin(), indexes.end());
  int have = static_cast<int>(indexes.size());
  if (count < have) {
    // Keep the `count` lowest indexes.
    int cutoff = indexes[static_cast<size_t>(count)];
    instances.erase(std::remove_if(instances.begin(), instances.end(),
                                   [&](const instance& x) {
                                     return x.role == role && x.index >= cutoff;
                                   }),
                    instances.end());
    return instances;
  }
  if (count == have)
    return instances;
  int next = indexes.empty() ? 0 : indexes.back() + 1;
  std::vector<instance> added;
  for (int i = 0; i < count - have; ++i)
    added.push_back(make_instance(role, next + i, upgrade_domain_count, fault_domains, version));
  // Insert after the last instance of the role.
  auto pos = instances.end();
  for (auto it = instances.begin(); it != instances.end(); ++it)
    if (it->role == role)
      pos = it + 1;
  instances.insert(pos, added.begin(), added.end());
  return instances;
}

} // namespace fabric::model
