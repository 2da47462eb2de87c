// The deployment operations (swap, status, instance reboot/reimage/rebuild,
// reboot quirk, change configuration, redeploy). See deployment_ops.hpp.

#include "coordinator/deployment_ops.hpp"

#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "coordinator/image_catalog.hpp"
#include "coordinator/request_limits.hpp"
#include "model/change_validation.hpp"
#include "model/disk_rule.hpp"
#include "model/placement.hpp"
#include "model/service_model_parser.hpp"
#include "sm_api/responses.hpp"

namespace fabric::coordinator {

namespace {

using protocol::command_kind;

api_result bad(const std::string& message) { return api_error(400, "BadRequest", message); }

api_result not_found(const std::string& message) {
  return api_error(404, "ResourceNotFound", message);
}

api_result conflict(const std::string& message) {
  return api_error(409, "ConflictError", message);
}

std::string where(const std::string& service, model::slot s) {
  return service + "/" + model::to_string(s);
}

/// The deployment a request names, or the error to answer.
struct target {
  const model::hosted_service* service = nullptr;
  model::slot in_slot = model::slot::production;
  const model::deployment* dep = nullptr;
};

result<target> resolve_service(const controller& c, const operation_request& req,
                               api_result& err) {
  auto svc = c.model().services.find(req.service);
  if (svc == c.model().services.end()) {
    err = not_found("hosted service '" + req.service + "' does not exist");
    return error{"no service"};
  }
  auto s = model::parse_slot(req.slot);
  if (!s) {
    err = bad("unknown slot '" + req.slot + "': expected production or staging");
    return error{"bad slot"};
  }
  target t;
  t.service = &svc->second;
  t.in_slot = *s;
  if (auto& d = svc->second.in(*s))
    t.dep = &*d;
  return t;
}

result<target> resolve(const controller& c, const operation_request& req, api_result& err) {
  auto t = resolve_service(c, req, err);
  if (!t)
    return t;
  if (!t->dep) {
    err = not_found("no deployment in " + where(req.service, t->in_slot));
    return error{"no deployment"};
  }
  return t;
}

std::optional<nlohmann::json> json_object(const std::string& body, api_result& err) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err = bad("the request body is not a JSON object");
    return std::nullopt;
  }
  return j;
}

bool node_up(const controller& c, const std::string& node) {
  auto n = c.nodes().find(node);
  return n != c.nodes().end() && n->second.up;
}

/// True when every instance of the deployment placed on a live node is
/// observed in `state`.
bool all_in_state(const controller& c, const std::string& service, model::slot s,
                  model::instance_state state) {
  auto svc = c.model().services.find(service);
  if (svc == c.model().services.end() || !svc->second.in(s))
    return false;
  auto& d = *svc->second.in(s);
  for (auto& i : d.instances) {
    if (!node_up(c, i.node))
      continue;
    auto* o = c.observed(wire_name(d.name, i.name));
    if (!o || o->state != state)
      return false;
  }
  return true;
}

/// Live nodes with their load counted over `m` (not the controller's model).
std::vector<model::node_capacity> capacity_over(const controller& c, const model::fabric_model& m) {
  auto live = c.live_capacity();
  std::map<std::string, int> load;
  for (auto& [name, svc] : m.services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        for (auto& i : d->instances)
          if (!i.node.empty())
            ++load[i.node];
  for (auto& n : live)
    n.load = load[n.name];
  return live;
}

int live_fault_domains(const controller& c) {
  std::set<int> fds;
  for (auto& n : c.live_capacity())
    fds.insert(n.fault_domain);
  return std::max<int>(1, static_cast<int>(fds.size()));
}

bool running(const model::deployment& d) {
  return d.status == model::deployment_status::running
         || d.status == model::deployment_status::running_transitioning
         || d.status == model::deployment_status::starting;
}

// -- swap ------------------------------------------------------------------------

api_result swap(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto t = resolve_service(c, {req.service, "production", req.body}, err);
  if (!t)
    return err;
  auto& svc = *t->service;
  if (!svc.production && !svc.staging)
    return conflict("hosted service '" + req.service + "' has no deployment to swap");
  // The table checked production (the op's slot); the swap changes staging too.
  auto ops = c.list_operations().body;
  for (auto& other : ops["operations"])
    if (other["status"] == "InProgress" && other["service"] == req.service
        && other["slot"] == "staging")
      return conflict("operation " + other["id"].get<std::string>() + " ("
                      + other["kind"].get<std::string>() + ") is in progress on "
                      + where(req.service, model::slot::staging));
  for (auto s : {model::slot::production, model::slot::staging})
    if (svc.in(s) && svc.in(s)->upgrade)
      return conflict("cannot swap the slots of hosted service '" + req.service
                      + "': an upgrade is in progress in " + where(req.service, s));
  if (svc.production && svc.staging) {
    auto& p = *svc.production;
    auto& s = *svc.staging;
    auto report = model::validate_change(p.definition, p.configuration, s.definition,
                                         s.configuration);
    auto& v = report.verdict(model::update_path::vip_swap);
    if (!v.allowed) {
      std::string why;
      for (auto& f : v.reasons)
        why += (why.empty() ? "" : "; ") + f.code + ": " + f.message;
      return conflict("cannot swap the slots of hosted service '" + req.service + "': " + why
                      + " (a VIP swap cannot change the number or type of endpoints; use an "
                        "in-place upgrade or delete and deploy)");
    }
  }
  if (auto st = c.commit(model::swap_slots{req.service}); !st)
    return api_error(500, "InternalError", st.err().to_string());
  auto& now = c.model().services.at(req.service);
  nlohmann::json body = nlohmann::json::object();
  for (auto s : {model::slot::production, model::slot::staging}) {
    auto& d = now.in(s);
    body[model::to_string(s)] = d ? nlohmann::json(d->name) : nlohmann::json(nullptr);
    if (!d)
      continue;
    for (auto& i : d->instances) {
      if (i.node.empty())
        continue;
      if (auto id = c.send({i.node, command_kind::update_spec, wire_name(d->name, i.name),
                            instance_ref{req.service, s, i.name}, d->name}))
        op.pending.insert(id);
    }
  }
  spdlog::info("VIP swap of {}: production -> {}, staging -> {}", req.service,
               body["production"].dump(), body["staging"].dump());
  return {202, body};
}

// -- deployment status -----------------------------------------------------------

api_result set_status(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto t = resolve(c, req, err);
  if (!t)
    return err;
  auto j = json_object(req.body, err);
  if (!j)
    return err;
  if (!j->contains("status") || !(*j)["status"].is_string())
    return bad("missing string member 'status': expected \"Running\" or \"Suspended\"");
  auto parsed = model::parse_deployment_status((*j)["status"].get<std::string>());
  if (!parsed
      || (*parsed != model::deployment_status::running
          && *parsed != model::deployment_status::suspended))
    return bad("unknown status '" + (*j)["status"].get<std::string>()
               + "': expected \"Running\" or \"Suspended\"");
  auto& d = *t->dep;
  if (d.upgrade)
    return conflict("cannot change the status of " + where(req.service, t->in_slot)
                    + " while an upgrade is in progress");
  if (d.status != *parsed)
    if (auto st = c.commit(model::set_deployment_status{req.service, t->in_slot, *parsed}); !st)
      return api_error(500, "InternalError", st.err().to_string());
  bool start = *parsed == model::deployment_status::running;
  auto& now = *c.model().services.at(req.service).in(t->in_slot);
  for (auto& i : now.instances) {
    if (i.node.empty())
      continue;
    if (auto id = c.send({i.node, start ? command_kind::start : command_kind::stop,
                          wire_name(now.name, i.name),
                          instance_ref{req.service, t->in_slot, i.name}, now.name}))
      op.pending.insert(id);
  }
  auto service = req.service;
  auto s = t->in_slot;
  if (start)
    op.done = [service, s](const controller& ctl) { return ctl.all_ready(service, s); };
  else
    op.done = [service, s](const controller& ctl) {
      return all_in_state(ctl, service, s, model::instance_state::stopped_vm);
    };
  return {202, {{"deployment", now.name}, {"status", model::to_string(*parsed)}}};
}

// -- one instance: reboot, reimage, rebuild ------------------------------------------

api_result instance_op(controller& c, operation& op, const operation_request& req,
                       command_kind kind) {
  api_result err;
  auto t = resolve(c, req, err);
  if (!t)
    return err;
  auto j = json_object(req.body, err);
  if (!j)
    return err;
  if (!j->contains("instance") || !(*j)["instance"].is_string())
    return bad("missing string member 'instance'");
  auto name = (*j)["instance"].get<std::string>();
  auto& d = *t->dep;
  auto* inst = d.find_instance(name);
  if (!inst)
    return not_found("no role instance '" + name + "' in deployment '" + d.name + "' ("
                     + where(req.service, t->in_slot) + ")");
  if (!running(d))
    return conflict("deployment '" + d.name + "' is " + model::to_string(d.status)
                    + ": start it before a " + protocol::to_string(kind) + " of " + name);
  if (inst->node.empty() || !node_up(c, inst->node))
    return conflict("role instance '" + name + "' has no live node"
                    + (inst->node.empty() ? std::string(" (waiting for room)")
                                          : " (node " + inst->node + " is down)")
                    + ": try again once service healing has placed it");
  nlohmann::json body{{"deployment", d.name}, {"instance", name}};
  planned_command cmd{inst->node, kind, wire_name(d.name, name),
                      instance_ref{req.service, t->in_slot, name}, d.name};
  if (kind == command_kind::reboot) {
    double p = d.reboot_reimage_probability;
    if (auto o = d.instance_reboot_reimage_probability.find(name);
        o != d.instance_reboot_reimage_probability.end())
      p = o->second;
    double draw = std::uniform_real_distribution<double>(0.0, 1.0)(c.rng());
    cmd.reboot_degenerates = model::reboot_degenerates(p, draw);
    body["reboot_reimage_probability"] = p;
    body["reboot_degenerates"] = cmd.reboot_degenerates;
    if (cmd.reboot_degenerates)
      spdlog::info("reboot of {}.{} degenerates into a reimage (p={}, draw={})", d.name, name, p,
                   draw);
  }
  auto wire = cmd.wire;
  c.forget_observed(wire);
  auto id = c.send(cmd);
  if (id == 0)
    return api_error(503, "ServiceUnavailable", "node " + inst->node + " did not take the command");
  op.pending.insert(id);
  op.done = [wire](const controller& ctl) {
    auto* o = ctl.observed(wire);
    return o && o->state == model::instance_state::ready_role;
  };
  return {202, body};
}

api_result reboot(controller& c, operation& op, const operation_request& req) {
  return instance_op(c, op, req, command_kind::reboot);
}
api_result reimage(controller& c, operation& op, const operation_request& req) {
  return instance_op(c, op, req, command_kind::reimage);
}
api_result rebuild(controller& c, operation& op, const operation_request& req) {
  return instance_op(c, op, req, command_kind::rebuild);
}

// -- reboot quirk --------------------------------------------------------------------

api_result set_reboot_quirk(controller& c, operation&, const operation_request& req) {
  api_result err;
  auto t = resolve(c, req, err);
  if (!t)
    return err;
  auto j = json_object(req.body, err);
  if (!j)
    return err;
  if (!j->contains("probability") || !(*j)["probability"].is_number())
    return bad("missing number member 'probability' (0..1)");
  double p = (*j)["probability"].get<double>();
  if (!(p >= 0.0 && p <= 1.0))
    return bad("probability must be between 0 and 1, got " + (*j)["probability"].dump());
  std::string instance;
  if (j->contains("instance")) {
    if (!(*j)["instance"].is_string())
      return bad("member 'instance' must be a string");
    instance = (*j)["instance"].get<std::string>();
    if (!t->dep->find_instance(instance))
      return not_found("no role instance '" + instance + "' in deployment '" + t->dep->name
                       + "' (" + where(req.service, t->in_slot) + ")");
  }
  if (auto st
      = c.commit(model::set_reboot_reimage_probability{req.service, t->in_slot, instance, p});
      !st)
    return api_error(500, "InternalError", st.err().to_string());
  nlohmann::json body{{"deployment", t->dep->name}, {"probability", p}};
  if (!instance.empty())
    body["instance"] = instance;
  return {202, body};
}

// -- change configuration ---------------------------------------------------------

api_result change_configuration(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto t = resolve(c, req, err);
  if (!t)
    return err;
  auto& d = *t->dep;
  if (d.upgrade)
    return conflict("cannot change the configuration of " + where(req.service, t->in_slot)
                    + " while an upgrade is in progress");
  auto cfg = model::parse_service_configuration(req.body, "ServiceConfiguration.cscfg");
  if (!cfg)
    return bad(cfg.err().to_string());
  if (auto st = model::validate_pair(d.definition, *cfg); !st)
    return bad(st.err().to_string());
  if (auto refused = refuse_over_limits(c, *cfg, false))
    return *refused;
  // Everything on a copy first: nothing changes unless every step can be done.
  model::set_configuration edit{req.service, t->in_slot, *cfg, live_fault_domains(c)};
  auto copy = c.model();
  if (auto st = model::apply(copy, edit); !st)
    return bad(st.err().to_string());
  auto& after = *copy.services.at(req.service).in(t->in_slot);
  std::set<std::string> before_names;
  for (auto& i : d.instances)
    before_names.insert(i.name);
  std::set<std::string> added;
  for (auto& i : after.instances)
    if (!before_names.count(i.name))
      added.insert(i.name);
  std::vector<model::model_edit> places;
  if (!added.empty()) {
    auto placed = model::place_instances(after.instances, capacity_over(c, copy));
    if (!placed)
      return api_error(409, "InsufficientCapacity", placed.err().to_string());
    for (auto& a : *placed)
      if (added.count(a.instance))
        places.push_back(
          model::place_instance{req.service, t->in_slot, a.instance, a.node, a.fault_domain});
  }
  auto old = d;  // the deployment before (d refers into the model)
  if (auto st = c.commit(edit); !st)
    return api_error(500, "InternalError", st.err().to_string());
  for (auto& e : places)
    if (auto st = c.commit(e); !st)
      return api_error(500, "InternalError", st.err().to_string());

  auto& now = *c.model().services.at(req.service).in(t->in_slot);
  bool start = running(now);
  int removed = 0, updated = 0;
  for (auto& i : old.instances) {
    if (now.find_instance(i.name))
      continue;
    ++removed;
    auto wire = wire_name(old.name, i.name);
    c.forget_observed(wire);
    if (i.node.empty())
      continue;
    if (auto id = c.send({i.node, command_kind::remove, wire, std::nullopt, old.name}))
      op.pending.insert(id);
  }
  for (auto& i : now.instances) {
    auto wire = wire_name(now.name, i.name);
    instance_ref ref{req.service, t->in_slot, i.name};
    if (i.node.empty())
      continue;
    if (added.count(i.name)) {
      c.forget_observed(wire);
      if (!start)
        continue;
      if (auto id = c.send({i.node, command_kind::start, wire, ref, now.name}))
        op.pending.insert(id);
      continue;
    }
    auto* was = old.configuration.find_role(i.role);
    auto* is = now.configuration.find_role(i.role);
    if (was && is && was->settings == is->settings)
      continue;
    ++updated;
    if (auto id = c.send({i.node, command_kind::update_spec, wire, ref, now.name}))
      op.pending.insert(id);
  }
  auto service = req.service;
  auto s = t->in_slot;
  if (start)
    op.done = [service, s](const controller& ctl) { return ctl.all_ready(service, s); };
  return {202,
          {{"deployment", now.name},
           {"instances_added", added.size()},
           {"instances_removed", removed},
           {"instances_updated", updated}}};
}

// -- redeploy (delete and deploy as one call) --------------------------------------------

api_result redeploy(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto t = resolve(c, req, err);
  if (!t)
    return err;
  nlohmann::json j = nlohmann::json::object();
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = json_object(req.body, err);
    if (!parsed)
      return err;
    j = *parsed;
  }
  for (auto k : {"csdef", "cscfg", "image", "version"})
    if (j.contains(k) && !j[k].is_string())
      return bad(std::string("member '") + k + "' must be a string");
  auto old = *t->dep;
  if (old.upgrade)
    return conflict("cannot redeploy " + where(req.service, t->in_slot)
                    + " while an upgrade is in progress");
  auto def = old.definition;
  auto cfg = old.configuration;
  if (j.contains("csdef")) {
    auto p = model::parse_service_definition(j["csdef"].get<std::string>(),
                                             "ServiceDefinition.csdef");
    if (!p)
      return bad(p.err().to_string());
    def = std::move(*p);
  }
  if (j.contains("cscfg")) {
    auto p = model::parse_service_configuration(j["cscfg"].get<std::string>(),
                                                "ServiceConfiguration.cscfg");
    if (!p)
      return bad(p.err().to_string());
    cfg = std::move(*p);
  }
  if (auto st = model::validate_pair(def, cfg); !st)
    return bad(st.err().to_string());
  if (auto refused = refuse_over_limits(c, cfg, true))
    return *refused;
  auto digest = old.package;
  auto version = old.version;
  if (j.contains("image")) {
    auto image = j["image"].get<std::string>();
    std::optional<std::string> found;
    if (c.images())
      found = c.images()->resolve(image);
    if (!found)
      return bad("unknown image '" + image + "': upload it first (fabricctl image upload)");
    digest = *found;
    version = image;
  }
  if (j.contains("version"))
    version = j["version"].get<std::string>();

  auto instances = model::build_instances(def, cfg, version, live_fault_domains(c));
  if (!instances)
    return bad(instances.err().to_string());
  for (auto& i : *instances)
    i.node.clear();
  auto copy = c.model();
  copy.services.at(req.service).in(t->in_slot).reset();
  auto placed = model::place_instances(*instances, capacity_over(c, copy));
  if (!placed)
    return api_error(409, "InsufficientCapacity", placed.err().to_string());
  for (auto& a : *placed)
    for (auto& i : *instances)
      if (i.name == a.instance) {
        i.node = a.node;
        i.fault_domain = a.fault_domain;
      }
  model::deployment d;
  d.name = old.name;
  d.label = old.label;
  d.package = digest;
  d.version = version;
  d.in_slot = t->in_slot;
  d.status = model::deployment_status::running;
  d.definition = std::move(def);
  d.configuration = std::move(cfg);
  d.instances = std::move(*instances);

  if (auto st = c.commit(model::delete_deployment{req.service, t->in_slot}); !st)
    return api_error(500, "InternalError", st.err().to_string());
  if (auto st = c.commit(model::create_deployment{req.service, t->in_slot, d}); !st)
    return api_error(500, "InternalError", st.err().to_string());
  // Every old instance goes, then every new one starts fresh. Commands to one
  // node are carried out in order, so a `start` of a name just removed there
  // creates new disks.
  for (auto& i : old.instances) {
    auto wire = wire_name(old.name, i.name);
    c.forget_observed(wire);
    if (i.node.empty())
      continue;
    if (auto id = c.send({i.node, command_kind::remove, wire, std::nullopt, old.name}))
      op.pending.insert(id);
  }
  for (auto& i : d.instances) {
    auto wire = wire_name(d.name, i.name);
    c.forget_observed(wire);
    if (auto id = c.send({i.node, command_kind::start, wire,
                          instance_ref{req.service, t->in_slot, i.name}, d.name}))
      op.pending.insert(id);
  }
  auto service = req.service;
  auto s = t->in_slot;
  op.done = [service, s](const controller& ctl) { return ctl.all_ready(service, s); };
  return {202, {{"deployment", d.name}, {"version", d.version}}};
}

} // namespace

void register_deployment_operations(controller& c) {
  c.register_operation("swap", swap);
  c.register_operation("set_status", set_status);
  c.register_operation("reboot_instance", reboot);
  c.register_operation("reimage_instance", reimage);
  c.register_operation("rebuild_instance", rebuild);
  c.register_operation("set_reboot_quirk", set_reboot_quirk);
  c.register_operation("change_configuration", change_configuration);
  c.register_operation("redeploy", redeploy);
}

api_result get_configuration(const controller& c, const std::string& service,
                             const std::string& slot) {
  api_result err;
  auto t = resolve(c, {service, slot, ""}, err);
  if (!t)
    return err;
  auto& d = *t->dep;
  auto roles = nlohmann::json::array();
  for (auto& r : d.configuration.roles)
    roles.push_back({{"name", r.name}, {"instance_count", r.instance_count}, {"settings", r.settings}});
  nlohmann::json per_instance = nlohmann::json::object();
  for (auto& [name, p] : d.instance_reboot_reimage_probability)
    per_instance[name] = p;
  return {200,
          {{"service", service},
           {"slot", model::to_string(t->in_slot)},
           {"deployment", d.name},
           {"configuration", sm_api::render_service_configuration(d.configuration)},
           {"roles", roles},
           {"reboot_reimage_probability", d.reboot_reimage_probability},
           {"instance_reboot_reimage_probability", per_instance}}};
}

} // namespace fabric::coordinator
