#include "coordinator/api_json.hpp"

#include "coordinator/controller.hpp"
#include "coordinator/plans.hpp"
#include "model/service_model_writer.hpp"

namespace fabric::coordinator {

api_result api_error(int status, const std::string& code, const std::string& message) {
  return {status, {{"error", {{"code", code}, {"message", message}}}}};
}

int http_status(error_code c) {
  switch (c) {
    case error_code::bad_request:
    case error_code::not_supported:
    case error_code::change_not_allowed_in_place:
    case error_code::unknown_operation:
    case error_code::limit_exceeded: return 400;
    case error_code::not_found: return 404;
    case error_code::conflict:
    case error_code::insufficient_capacity: return 409;
    case error_code::internal: return 500;
    case error_code::unavailable: return 503;
  }
  return 500;
}

api_result error_result(const request_error& e) {
  return api_error(http_status(e.code), to_string(e.code), e.message);
}

// -- parsers ----------------------------------------------------------------------------

namespace {

const char* const not_an_object = "the request body is not a JSON object";

/// The body as a JSON object; an empty body (blank when `blank_ok`) is {}
/// when `empty_ok`.
outcome<nlohmann::json> object_of(const std::string& body, bool empty_ok, bool blank_ok = false) {
  if (empty_ok && body.empty())
    return nlohmann::json::object();
  if (blank_ok && body.find_first_not_of(" \t\r\n") == std::string::npos)
    return nlohmann::json::object();
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return bad_request(not_an_object);
  return j;
}

/// Checks that each present member of `keys` is a string.
std::optional<request_error> strings(const nlohmann::json& j,
                                     std::initializer_list<const char*> keys) {
  for (auto k : keys)
    if (j.contains(k) && !j[k].is_string())
      return bad_request(std::string("member '") + k + "' must be a string");
  return std::nullopt;
}

std::string str(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

std::optional<std::string> opt_str(const nlohmann::json& j, const char* k) {
  if (!j.contains(k))
    return std::nullopt;
  return j[k].get<std::string>();
}

slot_target target(const json_request& r) { return {r.service, r.slot}; }

outcome<operation_request> parse_deploy(const json_request& r) {
  auto j = object_of(r.body, false);
  if (!j)
    return j.err();
  for (auto k : {"csdef", "cscfg", "image"})
    if (!j->contains(k) || !(*j)[k].is_string())
      return bad_request(std::string("missing string member '") + k + "'");
  if (auto e = strings(*j, {"name", "label", "version"}))
    return *e;
  if (j->contains("start") && !(*j)["start"].is_boolean())
    return bad_request("member 'start' must be true or false");
  deploy_request q;
  q.target = target(r);
  if (j->contains("phase_ms")) {
    if (!(*j)["phase_ms"].is_object())
      return bad_request("member 'phase_ms' must be an object of phase -> milliseconds");
    for (auto& [k, v] : (*j)["phase_ms"].items()) {
      if (!v.is_number_unsigned() || v.get<uint64_t>() > 600000)
        return bad_request("phase_ms." + k + " must be an integer in 0..600000");
      q.phase_ms[k] = v.get<uint32_t>();
    }
  }
  q.csdef = str(*j, "csdef");
  q.cscfg = str(*j, "cscfg");
  q.image = str(*j, "image");
  q.name = str(*j, "name");
  q.label = str(*j, "label");
  q.version = str(*j, "version");
  q.start = j->value("start", true);
  return operation_request{std::move(q)};
}

outcome<operation_request> parse_set_status(const json_request& r) {
  auto j = object_of(r.body, false);
  if (!j)
    return j.err();
  if (!j->contains("status") || !(*j)["status"].is_string())
    return bad_request("missing string member 'status': expected \"Running\" or \"Suspended\"");
  return operation_request{set_status_request{target(r), str(*j, "status")}};
}

outcome<operation_request> parse_instance(const json_request& r, protocol::command_kind kind) {
  auto j = object_of(r.body, false);
  if (!j)
    return j.err();
  if (!j->contains("instance") || !(*j)["instance"].is_string())
    return bad_request("missing string member 'instance'");
  return operation_request{instance_request{target(r), str(*j, "instance"), kind}};
}

outcome<operation_request> parse_reboot_quirk(const json_request& r) {
  auto j = object_of(r.body, false);
  if (!j)
    return j.err();
  if (!j->contains("probability") || !(*j)["probability"].is_number())
    return bad_request("missing number member 'probability' (0..1)");
  reboot_quirk_request q;
  q.target = target(r);
  q.probability = (*j)["probability"].get<double>();
  if (!(q.probability >= 0.0 && q.probability <= 1.0))
    return bad_request("probability must be between 0 and 1, got " + (*j)["probability"].dump());
  if (j->contains("instance")) {
    if (!(*j)["instance"].is_string())
      return bad_request("member 'instance' must be a string");
    q.instance = str(*j, "instance");
  }
  return operation_request{std::move(q)};
}

outcome<operation_request> parse_redeploy(const json_request& r) {
  auto j = object_of(r.body, false, true);
  if (!j)
    return j.err();
  if (auto e = strings(*j, {"csdef", "cscfg", "image", "version"}))
    return *e;
  redeploy_request q;
  q.target = target(r);
  q.csdef = opt_str(*j, "csdef");
  q.cscfg = opt_str(*j, "cscfg");
  q.image = opt_str(*j, "image");
  q.version = opt_str(*j, "version");
  return operation_request{std::move(q)};
}

outcome<operation_request> parse_upgrade(const json_request& r) {
  auto j = object_of(r.body, true);
  if (!j)
    return j.err();
  if (auto e = strings(*j, {"image", "version", "csdef", "cscfg", "mode", "role", "on_timeout"}))
    return *e;
  for (auto k : {"force", "surge"})
    if (j->contains(k) && !(*j)[k].is_boolean())
      return bad_request(std::string("member '") + k + "' must be true or false");
  upgrade_deployment_request q;
  q.target = target(r);
  q.image = str(*j, "image");
  q.version = str(*j, "version");
  q.csdef = opt_str(*j, "csdef");
  q.cscfg = opt_str(*j, "cscfg");
  q.mode = opt_str(*j, "mode");
  q.role = str(*j, "role");
  q.on_timeout = opt_str(*j, "on_timeout");
  q.force = j->value("force", false);
  q.surge = j->value("surge", false);
  if (j->contains("order")) {
    auto& o = (*j)["order"];
    const char* msg = "member 'order' must be an array of upgrade domains, e.g. [0, 2, 1]";
    if (!o.is_array())
      return bad_request(msg);
    for (auto& x : o) {
      if (!x.is_number_integer())
        return bad_request(msg);
      q.order.push_back(x.get<int>());
    }
  }
  if (j->contains("timeout_s")) {
    if (!(*j)["timeout_s"].is_number())
      return bad_request("member 'timeout_s' must be a number of seconds in (0, 604800]");
    q.timeout_s = (*j)["timeout_s"].get<double>();
  }
  if (j->contains("domain_wait_ms")) {
    if (!(*j)["domain_wait_ms"].is_number_unsigned())
      return bad_request("member 'domain_wait_ms' must be an integer in 0..86400000");
    q.domain_wait_ms = (*j)["domain_wait_ms"].get<uint64_t>();
  }
  return operation_request{std::move(q)};
}

outcome<operation_request> parse_walk(const json_request& r) {
  auto j = object_of(r.body, true);
  if (!j)
    return j.err();
  if (!j->contains("upgrade_domain") || !(*j)["upgrade_domain"].is_number_integer())
    return bad_request("missing integer member 'upgrade_domain'");
  return operation_request{walk_request{target(r), (*j)["upgrade_domain"].get<int>()}};
}

outcome<operation_request> parse_rollback(const json_request& r) {
  auto j = object_of(r.body, true);
  if (!j)
    return j.err();
  rollback_request q;
  q.target = target(r);
  if (j->contains("mode")) {
    if (!(*j)["mode"].is_string())
      return bad_request("member 'mode' must be auto, manual or simultaneous");
    q.mode = str(*j, "mode");
  }
  return operation_request{std::move(q)};
}

} // namespace

outcome<create_service_request> parse_create_service(const std::string& body) {
  auto j = object_of(body, false);
  if (!j)
    return j.err();
  if (!j->contains("name") || !(*j)["name"].is_string())
    return bad_request("missing string member 'name'");
  return create_service_request{str(*j, "name"), str(*j, "label"), str(*j, "description"),
                                str(*j, "location")};
}

outcome<operation_request> parse_operation(const std::string& kind, const json_request& r) {
  using protocol::command_kind;
  if (kind == "deploy")
    return parse_deploy(r);
  if (kind == "delete_deployment")
    return operation_request{delete_deployment_request{target(r)}};
  if (kind == "swap")
    return operation_request{swap_request{r.service}};
  if (kind == "set_status")
    return parse_set_status(r);
  if (kind == "reboot_instance")
    return parse_instance(r, command_kind::reboot);
  if (kind == "reimage_instance")
    return parse_instance(r, command_kind::reimage);
  if (kind == "rebuild_instance")
    return parse_instance(r, command_kind::rebuild);
  if (kind == "set_reboot_quirk")
    return parse_reboot_quirk(r);
  if (kind == "change_configuration")
    return operation_request{change_configuration_request{target(r), r.body}};
  if (kind == "redeploy")
    return parse_redeploy(r);
  if (kind == "upgrade")
    return parse_upgrade(r);
  if (kind == "walk")
    return parse_walk(r);
  if (kind == "rollback")
    return parse_rollback(r);
  return request_error{error_code::unknown_operation, "unknown operation '" + kind + "'"};
}

// -- renderers --------------------------------------------------------------------------

nlohmann::json to_json(const service_view& v) {
  nlohmann::json slots = nlohmann::json::object();
  for (auto& d : v.deployments)
    slots[model::to_string(d.in_slot)] = {{"name", d.name},
                                          {"status", model::to_string(d.status)},
                                          {"version", d.version},
                                          {"instances", d.instances}};
  return {{"name", v.name},
          {"label", v.label},
          {"description", v.description},
          {"location", v.location},
          {"deployments", slots}};
}

nlohmann::json to_json(const upgrade_view& v) {
  auto& u = v.status;
  auto domains = nlohmann::json::array();
  for (auto& d : v.domains)
    domains.push_back({{"upgrade_domain", d.upgrade_domain},
                       {"phase", d.phase},
                       {"instances", d.instances},
                       {"ready_on_target", d.ready_on_target}});
  return {{"mode", model::to_string(u.mode)},
          {"current_upgrade_domain", u.current_upgrade_domain},
          {"current_state", model::to_string(u.current_state)},
          {"walked", u.walked},
          {"order", u.order},
          {"role", u.role},
          {"from_version", u.from_version},
          {"target_version", u.target_version},
          {"rolling_back", u.rolling_back},
          {"paused", !v.paused_reason.empty()},
          {"reason", v.paused_reason},
          {"operation", v.operation},
          {"domains", domains}};
}

nlohmann::json to_json(const deployment_view& v) {
  auto arr = nlohmann::json::array();
  for (auto& i : v.instances)
    arr.push_back({{"name", i.name},
                   {"role", i.role},
                   {"upgrade_domain", i.upgrade_domain},
                   {"fault_domain", i.fault_domain},
                   {"node", i.node},
                   {"state", model::to_string(i.state)},
                   {"version", i.version},
                   {"endpoint", i.endpoint}});
  auto roles = nlohmann::json::array();
  for (auto& [name, count] : v.roles)
    roles.push_back({{"name", name}, {"instance_count", count}});
  return {{"service", v.service},
          {"slot", model::to_string(v.in_slot)},
          {"name", v.name},
          {"label", v.label},
          {"status", model::to_string(v.status)},
          {"version", v.version},
          {"image_digest", v.image_digest},
          {"upgrade_domain_count", v.upgrade_domain_count},
          {"roles", roles},
          {"ready_instances", v.ready_instances},
          {"instances", arr},
          {"upgrade", v.upgrade ? to_json(*v.upgrade) : nlohmann::json(nullptr)}};
}

nlohmann::json to_json(const configuration_view& v) {
  auto roles = nlohmann::json::array();
  for (auto& r : v.configuration.roles)
    roles.push_back(
      {{"name", r.name}, {"instance_count", r.instance_count}, {"settings", r.settings}});
  nlohmann::json per_instance = nlohmann::json::object();
  for (auto& [name, p] : v.instance_reboot_reimage_probability)
    per_instance[name] = p;
  return {{"service", v.service},
          {"slot", model::to_string(v.in_slot)},
          {"deployment", v.deployment},
          {"configuration", model::render_service_configuration(v.configuration)},
          {"roles", roles},
          {"reboot_reimage_probability", v.reboot_reimage_probability},
          {"instance_reboot_reimage_probability", per_instance}};
}

nlohmann::json to_json(const operation_view& v) {
  nlohmann::json body{{"id", v.id},
                      {"kind", v.kind},
                      {"service", v.service},
                      {"slot", model::to_string(v.in_slot)},
                      {"status", to_string(v.status)},
                      {"pending_commands", v.pending_commands}};
  if (v.status == op_status::failed)
    body["error"] = {{"code", "OperationFailed"}, {"message", v.error}};
  return body;
}

nlohmann::json to_json(const operation_accepted& a) {
  nlohmann::json body = nlohmann::json::object();
  auto& i = a.info;
  auto put = [&](const char* k, const auto& v) {
    if (v)
      body[k] = *v;
  };
  put("deployment", i.deployment);
  put("version", i.version);
  put("instance", i.instance);
  put("reboot_reimage_probability", i.reboot_reimage_probability);
  put("reboot_degenerates", i.reboot_degenerates);
  put("probability", i.probability);
  put("instances_added", i.instances_added);
  put("instances_removed", i.instances_removed);
  put("instances_updated", i.instances_updated);
  put("upgrade_domain", i.upgrade_domain);
  put("from_version", i.from_version);
  put("target_version", i.target_version);
  put("mode", i.mode);
  put("order", i.order);
  if (i.swapped) {
    body["production"] = i.production ? nlohmann::json(*i.production) : nlohmann::json(nullptr);
    body["staging"] = i.staging ? nlohmann::json(*i.staging) : nlohmann::json(nullptr);
  }
  body["operation_id"] = a.operation_id;
  body["status"] = to_string(a.status);
  return body;
}

// -- the routes' work ---------------------------------------------------------------------

namespace json_api {

namespace {

template <class T>
api_result render(const outcome<T>& o, int status = 200) {
  if (!o)
    return error_result(o.err());
  return {status, to_json(*o)};
}

} // namespace

api_result create_service(controller& c, const std::string& body) {
  auto q = parse_create_service(body);
  if (!q)
    return error_result(q.err());
  return render(c.create_service(*q), 201);
}

api_result list_services(const controller& c) {
  auto arr = nlohmann::json::array();
  for (auto& v : c.list_services())
    arr.push_back(to_json(v));
  return {200, {{"services", arr}}};
}

api_result get_service(const controller& c, const std::string& name) {
  return render(c.get_service(name));
}

api_result delete_service(controller& c, const std::string& name) {
  auto r = c.delete_service(name);
  if (!r)
    return error_result(r.err());
  return {200, {{"deleted", *r}}};
}

api_result get_deployment(const controller& c, const std::string& service,
                          const std::string& slot) {
  return render(c.get_deployment(service, slot));
}

api_result get_configuration(const controller& c, const std::string& service,
                             const std::string& slot) {
  return render(c.get_configuration(service, slot));
}

api_result get_operation(const controller& c, const std::string& id) {
  return render(c.get_operation(id));
}

api_result list_operations(const controller& c) {
  auto arr = nlohmann::json::array();
  for (auto& v : c.list_operations())
    arr.push_back(to_json(v));
  return {200, {{"operations", arr}}};
}

api_result start_operation(controller& c, const std::string& kind, const json_request& r) {
  auto q = parse_operation(kind, r);
  if (!q && q.err().code != error_code::unknown_operation) {
    // The target is checked before the members, as the API always answered:
    // a bad body to a busy slot is 409, to a missing deployment 404 (deploy,
    // upgrade, walk and rollback look at "not a JSON object" right after the
    // 409).
    bool body_first = q.err().message == not_an_object
                      && (kind == "deploy" || kind == "upgrade" || kind == "walk"
                          || kind == "rollback");
    if (auto e = target_refusal(c.model(), kind, {r.service, r.slot}, c.inputs(), body_first))
      return error_result(*e);
  }
  if (!q)
    return error_result(q.err());
  return render(c.start_operation(*q), 202);
}

} // namespace json_api

} // namespace fabric::coordinator
