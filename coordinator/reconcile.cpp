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
