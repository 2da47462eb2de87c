#include "model/edit.hpp"

#include <algorithm>
#include <utility>

#include "model/placement.hpp"

#include "model/text.hpp"

namespace fabric::model {

namespace {


std::string where(const std::string& service, slot s) {
  return std::string("the ") + to_string(s) + " slot of hosted service '" + service + "'";
}

result<hosted_service*> find_service(fabric_model& m, const std::string& name) {
  auto i = m.services.find(name);
  if (i == m.services.end())
    return error{"hosted service '" + name + "' does not exist"};
  return &i->second;
}

result<deployment*> find_deployment(fabric_model& m, const std::string& service, slot s) {
  auto hs = find_service(m, service);
  if (!hs)
    return hs.err();
  auto& d = (*hs)->in(s);
  if (!d)
    return error{"there is no deployment in " + where(service, s)};
  return &*d;
}

result<instance*> find_instance(fabric_model& m, const std::string& service, slot s,
                                const std::string& name) {
  auto d = find_deployment(m, service, s);
  if (!d)
    return d.err();
  auto* x = (*d)->find_instance(name);
  if (x == nullptr)
    return error{"instance '" + name + "' does not exist in the deployment in "
                 + where(service, s)};
  return x;
}

status do_apply(fabric_model& m, const create_hosted_service& e) {
  if (e.name.empty())
    return error{"a hosted service needs a name"};
  if (m.services.count(e.name) != 0)
    return error{"hosted service '" + e.name + "' already exists"};
  hosted_service hs;
  hs.name = e.name;
  hs.label = e.label;
  hs.description = e.description;
  hs.location = e.location;
  m.services.emplace(e.name, std::move(hs));
  return ok_status();
}

status do_apply(fabric_model& m, const delete_hosted_service& e) {
  auto hs = find_service(m, e.name);
  if (!hs)
    return hs.err();
  for (auto s : {slot::production, slot::staging})
    if ((*hs)->in(s))
      return error{"hosted service '" + e.name + "' still has a deployment in the "
                   + to_string(s) + " slot; delete it first"};
  m.services.erase(e.name);
  return ok_status();
}

status do_apply(fabric_model& m, const create_deployment& e) {
  auto hs = find_service(m, e.service);
  if (!hs)
    return hs.err();
  auto& target = (*hs)->in(e.in_slot);
  if (target)
    return error{where(e.service, e.in_slot) + " already holds deployment '" + target->name
                 + "'; delete it or swap first"};
  auto other = e.in_slot == slot::production ? slot::staging : slot::production;
  const auto& o = (*hs)->in(other);
  if (o && !e.value.name.empty() && o->name == e.value.name)
    return error{"deployment name '" + e.value.name + "' is already used in "
                 + where(e.service, other)};
  target = e.value;
  target->in_slot = e.in_slot;
  return ok_status();
}

status do_apply(fabric_model& m, const delete_deployment& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  m.services[e.service].in(e.in_slot).reset();
  return ok_status();
}

status do_apply(fabric_model& m, const swap_slots& e) {
  auto hs = find_service(m, e.service);
  if (!hs)
    return hs.err();
  auto& p = (*hs)->production;
  auto& s = (*hs)->staging;
  if (!p && !s)
    return error{"hosted service '" + e.service + "' has no deployment to swap"};
  if ((p && p->upgrade) || (s && s->upgrade))
    return error{"cannot swap the slots of hosted service '" + e.service
                 + "' while an upgrade is in progress"};
  std::swap(p, s);
  if (p)
    p->in_slot = slot::production;
  if (s)
    s->in_slot = slot::staging;
  return ok_status();
}

status do_apply(fabric_model& m, const set_deployment_status& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  (*d)->status = e.status;
  return ok_status();
}

status do_apply(fabric_model& m, const set_instance_state& e) {
  auto x = find_instance(m, e.service, e.in_slot, e.instance);
  if (!x)
    return x.err();
  (*x)->state = e.state;
  return ok_status();
}

status do_apply(fabric_model& m, const place_instance& e) {
  auto x = find_instance(m, e.service, e.in_slot, e.instance);
  if (!x)
    return x.err();
  if (e.fault_domain < 0)
    return error{"fault domain must be >= 0, got " + std::to_string(e.fault_domain)};
  (*x)->node = e.node;
  (*x)->fault_domain = e.fault_domain;
  return ok_status();
}

status do_apply(fabric_model& m, const set_instance_version& e) {
  auto x = find_instance(m, e.service, e.in_slot, e.instance);
  if (!x)
    return x.err();
  (*x)->version = e.version;
  return ok_status();
}

status do_apply(fabric_model& m, const set_configuration& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  deployment& dep = **d;
  const auto& def = dep.definition;
  for (const auto& rc : e.configuration.roles) {
    bool known = std::any_of(def.roles.begin(), def.roles.end(),
                             [&](const role_definition& r) { return r.name == rc.name; });
    if (!known)
      return error{"role '" + rc.name
                   + "' is in the new configuration but not in the service definition"};
    if (rc.instance_count < 1)
      return error{"role '" + rc.name + "': instance count must be at least 1, got "
                   + std::to_string(rc.instance_count)};
  }
  for (const auto& rd : def.roles) {
    bool present = std::any_of(e.configuration.roles.begin(), e.configuration.roles.end(),
                               [&](const role_configuration& r) { return r.name == rd.name; });
    if (!present)
      return error{"role '" + rd.name
                   + "' is in the service definition but not in the new configuration"};
  }
  int uds = std::max(1, def.upgrade_domain_count);
  int fds = e.fault_domains;
  if (fds <= 0) {
    fds = 1;
    for (const auto& x : dep.instances)
      fds = std::max(fds, x.fault_domain + 1);
  }
  auto instances = dep.instances;
  for (const auto& rc : e.configuration.roles)
    instances = scale_role(std::move(instances), rc.name, rc.instance_count, uds, fds,
                           dep.version);
  dep.instances = std::move(instances);
  dep.configuration = e.configuration;
  return ok_status();
}

status do_apply(fabric_model& m, const begin_upgrade& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  if ((*d)->upgrade)
    return error{"an upgrade is already in progress in " + where(e.service, e.in_slot)};
  (*d)->upgrade = e.upgrade;
  return ok_status();
}

status do_apply(fabric_model& m, const update_upgrade& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  auto& up = (*d)->upgrade;
  if (!up)
    return error{"no upgrade is in progress in " + where(e.service, e.in_slot)};
  up->current_upgrade_domain = e.current_upgrade_domain;
  up->current_state = e.current_state;
  up->walked = e.walked;
  if (e.rolling_back)
    up->rolling_back = *e.rolling_back;
  return ok_status();
}

status do_apply(fabric_model& m, const end_upgrade& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  auto& dep = **d;
  if (!dep.upgrade)
    return error{"no upgrade is in progress in " + where(e.service, e.in_slot)};
  if (e.completed && !dep.upgrade->rolling_back) {
    if (!dep.upgrade->target_version.empty())
      dep.version = dep.upgrade->target_version;
    if (!dep.upgrade->target_package.empty())
      dep.package = dep.upgrade->target_package;
  }
  dep.upgrade.reset();
  return ok_status();
}

status do_apply(fabric_model& m, const set_reboot_reimage_probability& e) {
  auto d = find_deployment(m, e.service, e.in_slot);
  if (!d)
    return d.err();
  if (!(e.probability >= 0.0 && e.probability <= 1.0))
    return error{"reboot-reimage probability must be between 0 and 1, got "
                 + std::to_string(e.probability)};
  if (e.instance.empty()) {
    (*d)->reboot_reimage_probability = e.probability;
    return ok_status();
  }
  if ((*d)->find_instance(e.instance) == nullptr)
    return error{"instance '" + e.instance + "' does not exist in the deployment in "
                 + where(e.service, e.in_slot)};
  (*d)->instance_reboot_reimage_probability[e.instance] = e.probability;
  return ok_status();
}

} // namespace

const char* edit_name(const model_edit& edit) {
  return std::visit(
    overloaded{
      [](const create_hosted_service&) { return "create_hosted_service"; },
      [](const delete_hosted_service&) { return "delete_hosted_service"; },
      [](const create_deployment&) { return "create_deployment"; },
      [](const delete_deployment&) { return "delete_deployment"; },
      [](const swap_slots&) { return "swap_slots"; },
      [](const set_deployment_status&) { return "set_deployment_status"; },
      [](const set_instance_state&) { return "set_instance_state"; },
      [](const place_instance&) { return "place_instance"; },
      [](const set_instance_version&) { return "set_instance_version"; },
      [](const set_configuration&) { return "set_configuration"; },
      [](const begin_upgrade&) { return "begin_upgrade"; },
      [](const update_upgrade&) { return "update_upgrade"; },
      [](const end_upgrade&) { return "end_upgrade"; },
      [](const set_reboot_reimage_probability&) { return "set_reboot_reimage_probability"; },
    },
    edit);
}

status apply(fabric_model& model, const model_edit& edit) {
  auto st = std::visit([&](const auto& e) { return do_apply(model, e); }, edit);
  if (st)
    ++model.revision;
  return st;
}

} // namespace fabric::model
