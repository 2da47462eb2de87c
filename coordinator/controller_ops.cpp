// The built-in operations of the controller's operation table. Each one
// validates first (nothing changes on a 4xx), then commits edits and queues
// commands. Add further operations (upgrade, swap, reboot, ...) beside these
// and register them in register_builtin_operations.

#include <set>

#include "coordinator/controller.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/request_limits.hpp"
#include "model/placement.hpp"
#include "model/service_model_parser.hpp"

namespace fabric::coordinator {

namespace {

api_result bad(const std::string& message) { return api_error(400, "BadRequest", message); }

bool valid_deployment_name(const std::string& n) {
  if (n.empty() || n.size() > 100)
    return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return false;
  return true;
}

std::string str_member(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

/// POST /services/<svc>/deployments/<slot>: body {"csdef": xml, "cscfg": xml,
/// "image": name-or-digest, "name"?, "label"?, "version"?, "start"? (true),
/// "phase_ms"? {"create_vm": ms, ...}}.
api_result deploy(controller& c, operation& op, const operation_request& req) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad("the request body is not a JSON object");
  auto svc = c.model().services.find(req.service);
  if (svc == c.model().services.end())
    return api_error(404, "ResourceNotFound",
                     "hosted service '" + req.service + "' does not exist");
  auto s = model::parse_slot(req.slot);
  if (!s)
    return bad("unknown slot '" + req.slot + "': expected production or staging");
  if (svc->second.in(*s))
    return api_error(409, "ConflictError",
                     "slot " + req.service + "/" + model::to_string(*s)
                       + " already holds deployment '" + svc->second.in(*s)->name + "'");
  for (auto k : {"csdef", "cscfg", "image"})
    if (!j.contains(k) || !j[k].is_string())
      return bad(std::string("missing string member '") + k + "'");
  for (auto k : {"name", "label", "version"})
    if (j.contains(k) && !j[k].is_string())
      return bad(std::string("member '") + k + "' must be a string");
  if (j.contains("start") && !j["start"].is_boolean())
    return bad("member 'start' must be true or false");
  std::map<std::string, uint32_t> phases = c.config().phase_durations_ms;
  if (j.contains("phase_ms")) {
    if (!j["phase_ms"].is_object())
      return bad("member 'phase_ms' must be an object of phase -> milliseconds");
    for (auto& [k, v] : j["phase_ms"].items()) {
      if (!v.is_number_unsigned() || v.get<uint64_t>() > 600000)
        return bad("phase_ms." + k + " must be an integer in 0..600000");
      phases[k] = v.get<uint32_t>();
    }
  }
  auto def = model::parse_service_definition(j["csdef"].get<std::string>(), "ServiceDefinition.csdef");
  if (!def)
    return bad(def.err().to_string());
  auto cfg
    = model::parse_service_configuration(j["cscfg"].get<std::string>(), "ServiceConfiguration.cscfg");
  if (!cfg)
    return bad(cfg.err().to_string());
  if (auto st = model::validate_pair(*def, *cfg); !st)
    return bad(st.err().to_string());
  if (auto refused = refuse_over_limits(c, *cfg, true))
    return *refused;
  auto image = j["image"].get<std::string>();
  std::optional<std::string> digest;
  if (c.images())
    digest = c.images()->resolve(image);
  if (!digest)
    return bad("unknown image '" + image + "': upload it first (fabricctl image upload)");
  auto name = str_member(j, "name");
  if (name.empty())
    name = req.service + "-" + model::to_string(*s);
  if (!valid_deployment_name(name))
    return bad("bad deployment name '" + name + "': 1..100 characters of A-Z a-z 0-9 - _");
  for (auto& [sname, other] : c.model().services)
    for (auto os : {model::slot::production, model::slot::staging})
      if (other.in(os) && other.in(os)->name == name)
        return api_error(409, "ConflictError",
                         "deployment name '" + name + "' is used by " + sname + "/"
                           + model::to_string(os));
  auto version = str_member(j, "version");
  if (version.empty())
    version = image;
  bool start = j.value("start", true);

  auto live = c.live_capacity();
  std::set<int> fds;
  for (auto& n : live)
    fds.insert(n.fault_domain);
  auto instances = model::build_instances(*def, *cfg, version,
                                          std::max<int>(1, static_cast<int>(fds.size())));
  if (!instances)
    return bad(instances.err().to_string());
  for (auto& i : *instances)
    i.node.clear();
  auto placed = model::place_instances(*instances, live);
  if (!placed)
    return api_error(409, "InsufficientCapacity", placed.err().to_string());
  for (auto& a : *placed)
    for (auto& i : *instances)
      if (i.name == a.instance) {
        i.node = a.node;
        i.fault_domain = a.fault_domain;
      }

  model::deployment d;
  d.name = name;
  d.label = str_member(j, "label");
  if (auto why = model::text_field_error("label", d.label, model::max_label_chars); !why.empty())
    return bad(why);
  d.package = *digest;
  d.version = version;
  d.in_slot = *s;
  d.status = start ? model::deployment_status::running : model::deployment_status::suspended;
  d.definition = std::move(*def);
  d.configuration = std::move(*cfg);
  d.instances = std::move(*instances);
  if (auto st = c.commit(model::create_deployment{req.service, *s, d}); !st)
    return api_error(500, "InternalError", st.err().to_string());

  c.phases_for(name) = phases;
  auto service = req.service;
  auto in_slot = *s;
  for (auto& i : d.instances) {
    auto wire = wire_name(name, i.name);
    c.forget_observed(wire);
    if (!start)
      continue;
    planned_command cmd{i.node, protocol::command_kind::start, wire,
                        instance_ref{service, in_slot, i.name}, name};
    if (auto id = c.send(cmd))
      op.pending.insert(id);
  }
  if (start)
    op.done = [service, in_slot](const controller& ctl) { return ctl.all_ready(service, in_slot); };
  return {202, {{"deployment", name}}};
}

/// DELETE /services/<svc>/deployments/<slot>: the edit first (durable), then
/// `remove` to each node that hosts an instance; a node that is down gets it
/// when it re-registers (reconcile removes what the model does not place).
api_result delete_deployment(controller& c, operation& op, const operation_request& req) {
  auto svc = c.model().services.find(req.service);
  if (svc == c.model().services.end())
    return api_error(404, "ResourceNotFound",
                     "hosted service '" + req.service + "' does not exist");
  auto s = model::parse_slot(req.slot);
  if (!s)
    return bad("unknown slot '" + req.slot + "': expected production or staging");
  if (!svc->second.in(*s))
    return api_error(404, "ResourceNotFound",
                     "no deployment in " + req.service + "/" + model::to_string(*s));
  auto d = *svc->second.in(*s);
  if (auto st = c.commit(model::delete_deployment{req.service, *s}); !st)
    return api_error(500, "InternalError", st.err().to_string());
  for (auto& i : d.instances) {
    auto wire = wire_name(d.name, i.name);
    c.forget_observed(wire);
    if (i.node.empty())
      continue;
    if (auto id = c.send({i.node, protocol::command_kind::remove, wire, std::nullopt, d.name}))
      op.pending.insert(id);
  }
  return {202, {{"deployment", d.name}}};
}

} // namespace

void register_builtin_operations(controller& c) {
  c.register_operation("deploy", deploy);
  c.register_operation("delete_deployment", delete_deployment);
}

} // namespace fabric::coordinator
