#include "coordinator/reconcile.hpp"

#include <algorithm>
#include <set>

#include "model/limits.hpp"

namespace fabric::coordinator {

namespace {

template <class F>
void for_each_deployment(const model::fabric_model& m, F f) {
  for (auto& [name, svc] : m.services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        f(svc, *d);
}

bool suspended(const model::deployment& d) {
  return d.status == model::deployment_status::suspended
         || d.status == model::deployment_status::suspending
         || d.status == model::deployment_status::suspended_transitioning;
}

} // namespace

std::string wire_name(const std::string& deployment, const std::string& instance) {
  return deployment + "." + instance;
}

bool operator==(const planned_command& a, const planned_command& b) {
  auto same_ref = a.ref.has_value() == b.ref.has_value()
                  && (!a.ref
                      || (a.ref->service == b.ref->service && a.ref->in_slot == b.ref->in_slot
                          && a.ref->instance == b.ref->instance));
  return a.node == b.node && a.kind == b.kind && a.wire == b.wire && same_ref
         && a.deployment_name == b.deployment_name;
}

std::optional<instance_ref> locate(const model::fabric_model& m, const std::string& wire) {
  auto dot = wire.find('.');
  if (dot == std::string::npos)
    return std::nullopt;
  auto dep = wire.substr(0, dot);
  auto inst = wire.substr(dot + 1);
  std::optional<instance_ref> out;
  for_each_deployment(m, [&](const model::hosted_service& svc, const model::deployment& d) {
    if (!out && d.name == dep && d.find_instance(inst))
      out = instance_ref{svc.name, d.in_slot, inst};
  });
  return out;
}

std::vector<planned_command> reconcile_node(const model::fabric_model& m, const std::string& node,
                                            const std::vector<protocol::held_instance>& held) {
  std::vector<planned_command> out;
  std::set<std::string> seen;
  for (auto& h : held) {
    if (!seen.insert(h.instance_name).second)
      continue;
    auto ref = locate(m, h.instance_name);
    const model::instance* inst = nullptr;
    const model::deployment* dep = nullptr;
    if (ref) {
      dep = &*m.services.at(ref->service).in(ref->in_slot);
      inst = dep->find_instance(ref->instance);
    }
    if (inst && inst->node == node) {
      if (!suspended(*dep))
        out.push_back({node, protocol::command_kind::start, h.instance_name, ref, dep->name});
    } else {
      out.push_back(
        {node, protocol::command_kind::remove, h.instance_name, std::nullopt, h.deployment_name});
    }
  }
  for_each_deployment(m, [&](const model::hosted_service& svc, const model::deployment& d) {
    if (suspended(d))
      return;
    for (auto& i : d.instances) {
      auto w = wire_name(d.name, i.name);
      if (i.node == node && seen.insert(w).second)
        out.push_back({node, protocol::command_kind::start, w,
                       instance_ref{svc.name, d.in_slot, i.name}, d.name});
    }
  });
  return out;
}

heal_plan plan_healing(const model::fabric_model& m, const std::vector<std::string>& down,
                       std::vector<model::node_capacity> live) {
  heal_plan plan;
  std::set<std::string> down_set(down.begin(), down.end());
  std::map<std::string, int> load;
  for_each_deployment(m, [&](const model::hosted_service&, const model::deployment& d) {
    for (auto& i : d.instances)
      if (!i.node.empty())
        ++load[i.node];
  });
  for (auto& n : live)
    n.load = load[n.name];
  for_each_deployment(m, [&](const model::hosted_service& svc, const model::deployment& d) {
    auto instances = d.instances;
    bool any = false;
    std::set<std::string> was_placed;
    for (auto& i : instances) {
      if (down_set.count(i.node)) {
        was_placed.insert(i.name);
        i.node.clear();
      }
      if (i.node.empty())
        any = true;
    }
    if (!any)
      return;
    auto placed = model::place_instances(instances, live);
    if (placed) {
      // The FDs each role spans before (placed instances) and after the plan.
      std::map<std::string, std::set<int>> before, after;
      std::map<std::string, int> count;
      for (auto& i : d.instances) {
        ++count[i.role];
        if (!i.node.empty())
          before[i.role].insert(i.fault_domain);
      }
      std::map<std::string, int> moved_fd;
      for (auto& a : *placed)
        moved_fd[a.instance] = a.fault_domain;
      for (auto& i : instances) {
        auto mv = moved_fd.find(i.name);
        if (mv != moved_fd.end())
          after[i.role].insert(mv->second);
        else if (!i.node.empty())
          after[i.role].insert(i.fault_domain);
      }
      for (auto& [role, fds] : after)
        if (count[role] >= 2 && fds.size() == 1 && before[role].size() >= 2)
          plan.spread_lost.push_back(d.name + "/" + role);
      for (auto& a : *placed) {
        plan.edits.push_back(
          model::place_instance{svc.name, d.in_slot, a.instance, a.node, a.fault_domain});
        plan.commands.push_back({a.node, protocol::command_kind::migrate_in,
                                 wire_name(d.name, a.instance),
                                 instance_ref{svc.name, d.in_slot, a.instance}, d.name});
        for (auto& n : live)
          if (n.name == a.node)
            ++n.load;
      }
      return;
    }
    // No room for all of them: place none of this deployment now (placement is
    // all or nothing); clear the node of those that were on a down node.
    for (auto& i : instances)
      if (i.node.empty()) {
        if (was_placed.count(i.name))
          plan.edits.push_back(model::place_instance{svc.name, d.in_slot, i.name, "", 0});
        plan.unplaced.push_back(instance_ref{svc.name, d.in_slot, i.name});
      }
  });
  return plan;
}

std::vector<spread_move> plan_spread_restore(const model::fabric_model& m,
                                             std::vector<model::node_capacity> live) {
  std::map<std::string, int> load;
  for_each_deployment(m, [&](const model::hosted_service&, const model::deployment& d) {
    for (auto& i : d.instances)
      if (!i.node.empty())
        ++load[i.node];
  });
  for (auto& n : live)
    n.load = load[n.name];
  std::vector<spread_move> out;
  for_each_deployment(m, [&](const model::hosted_service& svc, const model::deployment& d) {
    if (!out.empty() || suspended(d) || d.upgrade)
      return;
    std::vector<std::string> roles;
    std::map<std::string, std::vector<const model::instance*>> by_role;
    for (auto& i : d.instances) {
      if (!by_role.count(i.role))
        roles.push_back(i.role);
      by_role[i.role].push_back(&i);
    }
    for (auto& role : roles) {
      auto& insts = by_role[role];
      std::set<int> fds, uds;
      bool all_placed = true;
      for (auto* i : insts) {
        all_placed = all_placed && !i->node.empty();
        fds.insert(i->fault_domain);
        uds.insert(i->upgrade_domain);
      }
      if (insts.size() < 2 || !all_placed || fds.size() != 1)
        continue;
      int fd = *fds.begin();
      bool room_elsewhere = false;
      for (auto& n : live)
        room_elsewhere = room_elsewhere || (n.fault_domain != fd && n.load < n.capacity);
      if (!room_elsewhere)
        continue;
      // The instances to move: the lowest UD's (every second one when the
      // role uses a single UD), placed by the usual rule among the others.
      int ud = *uds.begin();
      std::vector<model::instance> trial;
      std::set<std::string> moving;
      int nth = 0;
      for (auto* i : insts) {
        trial.push_back(*i);
        if (i->upgrade_domain == ud && (uds.size() > 1 || nth++ % 2 == 1)) {
          moving.insert(i->name);
          trial.back().node.clear();
        }
      }
      // Only nodes of other FDs: the point is to leave this one.
      std::vector<model::node_capacity> others;
      for (auto& n : live)
        if (n.fault_domain != fd)
          others.push_back(n);
      auto placed = model::place_instances(trial, others);
      if (!placed)
        continue;  // not enough room for the whole UD: wait for more nodes
      for (auto& a : *placed) {
        auto* i = d.find_instance(a.instance);
        out.push_back({instance_ref{svc.name, d.in_slot, a.instance}, wire_name(d.name, a.instance),
                       i->node, a.node, a.fault_domain, i->upgrade_domain});
      }
      return;
    }
  });
  return out;
}

protocol::instance_spec make_spec(const model::fabric_model& m, const instance_ref& ref,
                                  const std::map<std::string, uint32_t>& phase_durations_ms) {
  auto& svc = m.services.at(ref.service);
  auto& d = *svc.in(ref.in_slot);
  auto& i = *d.find_instance(ref.instance);
  protocol::instance_spec s;
  s.name = wire_name(d.name, i.name);
  s.role = i.role;
  s.service = svc.name;
  s.deployment = d.name;
  s.slot = model::to_string(d.in_slot);
  s.version = i.version.empty() ? d.version : i.version;
  s.image_digest = d.package;
  // During an upgrade, an instance already moved to the target version boots
  // the target image (e.g. when it is re-placed or re-created mid-walk).
  if (d.upgrade && !d.upgrade->rolling_back && !d.upgrade->target_package.empty()
      && s.version == d.upgrade->target_version)
    s.image_digest = d.upgrade->target_package;
  s.upgrade_domain = static_cast<uint32_t>(i.upgrade_domain);
  s.fault_domain = static_cast<uint32_t>(i.fault_domain);
  if (auto* role = d.definition.find_role(i.role)) {
    s.os_disk_mb = model::os_disk_quota_mb(role->vm_size);
    for (auto& ls : role->local_storage)
      s.local_storage.push_back(
        {ls.name, static_cast<uint64_t>(ls.size_mb), ls.clean_on_role_recycle});
    for (auto& e : role->endpoints)
      if (e.kind != model::endpoint_kind::internal)
        s.endpoints.push_back({e.name, e.protocol, static_cast<uint16_t>(e.port)});
  }
  if (auto* rc = d.configuration.find_role(i.role))
    s.settings = rc->settings;
  s.phase_durations_ms = phase_durations_ms;
  return s;
}

} // namespace fabric::coordinator
