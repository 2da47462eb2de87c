#include "sm_api/responses.hpp"

#include <cstdio>
#include <sstream>

#include <pugixml.hpp>

#include "sm_api/base64.hpp"
#include "sm_api/request_id.hpp"
#include "sm_api/requests.hpp"

namespace fabric::sm_api {

namespace {

pugi::xml_node add(pugi::xml_node parent, const char* name) {
  return parent.append_child(name);
}

pugi::xml_node add(pugi::xml_node parent, const char* name, std::string_view text) {
  auto node = parent.append_child(name);
  if (!text.empty())
    node.append_child(pugi::node_pcdata).set_value(std::string{text}.c_str());
  return node;
}

pugi::xml_node add(pugi::xml_node parent, const char* name, int value) {
  return add(parent, name, std::to_string(value));
}

pugi::xml_node add_bool(pugi::xml_node parent, const char* name, bool value) {
  return add(parent, name, value ? "true" : "false");
}

pugi::xml_node root(pugi::xml_document& doc, const char* name) {
  auto node = doc.append_child(name);
  node.append_attribute("xmlns") = azure_namespace;
  return node;
}

std::string to_text(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

const char* slot_name(model::slot s) {
  return s == model::slot::production ? "Production" : "Staging";
}

int local_port_of(const model::endpoint& ep, const instance_runtime* runtime) {
  if (runtime) {
    auto it = runtime->ports.find(ep.name);
    if (it != runtime->ports.end())
      return it->second;
  }
  return ep.local_port != 0 ? ep.local_port : ep.port;
}

void add_instance(pugi::xml_node list, const model::deployment& d, const model::instance& inst,
                  const deployment_view& view) {
  const auto* role = d.definition.find_role(inst.role);
  auto it = view.instances.find(inst.name);
  const instance_runtime* runtime = it == view.instances.end() ? nullptr : &it->second;

  auto node = add(list, "RoleInstance");
  add(node, "RoleName", inst.role);
  add(node, "InstanceName", inst.name);
  add(node, "InstanceStatus", model::to_string(inst.state));
  add(node, "InstanceUpgradeDomain", inst.upgrade_domain);
  add(node, "InstanceFaultDomain", inst.fault_domain);
  add(node, "InstanceSize", role ? role->vm_size : std::string{"Small"});
  add(node, "InstanceStateDetails", runtime ? runtime->state_details : std::string{});
  if (runtime && !runtime->ip_address.empty())
    add(node, "IpAddress", runtime->ip_address);
  if (role) {
    pugi::xml_node endpoints;
    for (const auto& ep : role->endpoints) {
      if (ep.kind == model::endpoint_kind::internal)
        continue;
      if (!endpoints)
        endpoints = add(node, "InstanceEndpoints");
      auto e = add(endpoints, "InstanceEndpoint");
      add(e, "Name", ep.name);
      if (!view.vip.empty())
        add(e, "Vip", view.vip);
      int public_port = ep.port;
      if (ep.kind == model::endpoint_kind::instance_input && ep.port_range_min > 0)
        public_port = ep.port_range_min + inst.index;
      add(e, "PublicPort", public_port);
      add(e, "LocalPort", local_port_of(ep, runtime));
      add(e, "Protocol", ep.protocol);
    }
  }
  add(node, "PowerState", power_state_of(inst.state));
}

void add_deployment(pugi::xml_node node, const model::deployment& d,
                    const std::string& service_name, const deployment_view& view) {
  std::string private_id
    = view.private_id.empty() ? derive_private_id(service_name, d.name) : view.private_id;
  std::string url = view.url;
  if (url.empty())
    url = "http://"
          + (d.in_slot == model::slot::production ? service_name : private_id)
          + ".cloudapp.net/";
  std::string configuration = view.configuration_text.empty()
                                ? render_service_configuration(d.configuration)
                                : view.configuration_text;

  add(node, "Name", d.name);
  add(node, "DeploymentSlot", slot_name(d.in_slot));
  add(node, "PrivateID", private_id);
  add(node, "Status", model::to_string(d.status));
  add(node, "Label", base64_encode(d.label));
  add(node, "Url", url);
  add(node, "Configuration", base64_encode(configuration));

  auto list = add(node, "RoleInstanceList");
  for (const auto& inst : d.instances)
    add_instance(list, d, inst, view);

  if (d.upgrade) {
    auto up = add(node, "UpgradeStatus");
    add(up, "UpgradeType", model::to_string(d.upgrade->mode));
    add(up, "CurrentUpgradeDomainState", model::to_string(d.upgrade->current_state));
    add(up, "CurrentUpgradeDomain", d.upgrade->current_upgrade_domain);
  }
  add(node, "UpgradeDomainCount", d.definition.upgrade_domain_count);

  auto roles = add(node, "RoleList");
  for (const auto& role : d.definition.roles) {
    auto r = add(roles, "Role");
    add(r, "RoleName", role.name);
    const auto& os = d.configuration.os_version;
    add(r, "OsVersion", os.empty() ? std::string{"*"} : os);
  }
  add(node, "SdkVersion", view.sdk_version);
  add_bool(node, "Locked", view.locked);
  bool rollback_allowed
    = view.rollback_allowed.value_or(d.upgrade.has_value() && !d.upgrade->rolling_back);
  add_bool(node, "RollbackAllowed", rollback_allowed);
  if (!view.created_time.empty())
    add(node, "CreatedTime", view.created_time);
  if (!view.last_modified_time.empty())
    add(node, "LastModifiedTime", view.last_modified_time);
  if (!view.vip.empty()) {
    auto vips = add(node, "VirtualIPs");
    auto vip = add(vips, "VirtualIP");
    add(vip, "Address", view.vip);
  }
}

void add_hosted_service(pugi::xml_node node, const model::hosted_service& s,
                        const hosted_service_view& view, bool embed_detail) {
  if (!view.url.empty())
    add(node, "Url", view.url);
  add(node, "ServiceName", s.name);
  auto props = add(node, "HostedServiceProperties");
  add(props, "Description", s.description);
  if (!view.affinity_group.empty())
    add(props, "AffinityGroup", view.affinity_group);
  else
    add(props, "Location", s.location);
  add(props, "Label", base64_encode(s.label));
  add(props, "Status", view.status);
  if (!view.date_created.empty())
    add(props, "DateCreated", view.date_created);
  if (!view.date_last_modified.empty())
    add(props, "DateLastModified", view.date_last_modified);
  if (embed_detail) {
    auto deployments = add(node, "Deployments");
    if (s.production)
      add_deployment(add(deployments, "Deployment"), *s.production, s.name, view.production);
    if (s.staging)
      add_deployment(add(deployments, "Deployment"), *s.staging, s.name, view.staging);
  }
}

} // namespace

const char* to_string(operation_status s) {
  switch (s) {
    case operation_status::in_progress: return "InProgress";
    case operation_status::succeeded: return "Succeeded";
    case operation_status::failed: return "Failed";
  }
  return "InProgress";
}

operation_view failed_operation(std::string request_id, const error& err) {
  auto e = to_sm_error(err);
  operation_view op;
  op.request_id = std::move(request_id);
  op.status = operation_status::failed;
  op.http_status_code = e.http_status;
  op.error_code = std::move(e.code);
  op.error_message = std::move(e.message);
  return op;
}

std::string render_deployment(const model::deployment& deployment,
                              const std::string& service_name, const deployment_view& view) {
  pugi::xml_document doc;
  add_deployment(root(doc, "Deployment"), deployment, service_name, view);
  return to_text(doc);
}

std::string render_hosted_service(const model::hosted_service& service,
                                  const hosted_service_view& view, bool embed_detail) {
  pugi::xml_document doc;
  add_hosted_service(root(doc, "HostedService"), service, view, embed_detail);
  return to_text(doc);
}

std::string render_hosted_services(const std::vector<hosted_service_entry>& services) {
  pugi::xml_document doc;
  auto list = root(doc, "HostedServices");
  for (const auto& entry : services)
    add_hosted_service(add(list, "HostedService"), *entry.service, entry.view, false);
  return to_text(doc);
}

std::string render_operation(const operation_view& operation) {
  pugi::xml_document doc;
  auto node = root(doc, "Operation");
  add(node, "ID", request_id_to_guid(operation.request_id).value_or(operation.request_id));
  add(node, "Status", to_string(operation.status));
  if (operation.status == operation_status::succeeded) {
    add(node, "HttpStatusCode",
        operation.http_status_code != 0 ? operation.http_status_code : 200);
  } else if (operation.status == operation_status::failed) {
    std::string code = operation.error_code.empty() ? std::string{codes::internal_error}
                                                    : operation.error_code;
    add(node, "HttpStatusCode",
        operation.http_status_code != 0 ? operation.http_status_code : http_status_of(code));
    auto err = add(node, "Error");
    add(err, "Code", code);
    add(err, "Message",
        operation.error_message.empty() ? std::string{"The operation failed."}
                                        : operation.error_message);
  }
  return to_text(doc);
}

std::string render_error(std::string_view code, std::string_view message) {
  pugi::xml_document doc;
  auto node = root(doc, "Error");
  add(node, "Code", code);
  add(node, "Message", message);
  return to_text(doc);
}

std::string render_error(const sm_error& err) {
  return render_error(err.code, err.message);
}

std::string render_availability(bool available, std::string_view reason) {
  pugi::xml_document doc;
  auto node = root(doc, "AvailabilityResponse");
  add_bool(node, "Result", available);
  add(node, "Reason", reason);
  return to_text(doc);
}

const char* power_state_of(model::instance_state state) {
  using s = model::instance_state;
  switch (state) {
    case s::starting_vm: return "Starting";
    case s::starting_role:
    case s::ready_role:
    case s::busy_role:
    case s::restarting_role:
    case s::cycling_role:
    case s::failed_starting_role:
    case s::unresponsive_role: return "Started";
    case s::stopping_role:
    case s::stopping_vm: return "Stopping";
    case s::creating_vm:
    case s::stopped_vm:
    case s::failed_starting_vm:
    case s::aborted: return "Stopped";
    case s::role_state_unknown: return "Unknown";
  }
  return "Unknown";
}

std::string derive_private_id(std::string_view service_name, std::string_view deployment_name) {
  auto fnv = [](std::uint64_t hash, std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ULL;
    }
    return hash;
  };
  std::uint64_t a = fnv(fnv(14695981039346656037ULL, service_name), "/");
  a = fnv(a, deployment_name);
  std::uint64_t b = fnv(a, "private-id");
  char out[33];
  std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return std::string{out, 32};
}

std::string format_time_utc(std::int64_t seconds) {
  // Howard Hinnant's civil_from_days.
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  auto doe = static_cast<unsigned>(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned day = doy - (153 * mp + 2) / 5 + 1;
  unsigned month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2)
    ++year;
  char out[64];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                static_cast<long long>(year), month, day, static_cast<int>(rem / 3600),
                static_cast<int>(rem % 3600 / 60), static_cast<int>(rem % 60));
  return out;
}

} // namespace fabric::sm_api
