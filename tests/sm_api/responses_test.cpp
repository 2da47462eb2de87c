// Response bodies checked against the SDK notes: default namespace on the
// root, documented casing and element order, booleans lowercase, Label and
// Configuration base64, UpgradeStatus only while an upgrade runs, Operation's
// HttpStatusCode only once finished and Error if and only if Failed. Every
// rendered body is parsed back with pugixml the way a client reads it.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "sm_api/base64.hpp"
#include "sm_api/requests.hpp"
#include "sm_api/responses.hpp"

using namespace fabric;
using namespace fabric::sm_api;

namespace {

constexpr const char* ns = "http://schemas.microsoft.com/windowsazure";

/// Parses a rendered body; fails the test when it is not well-formed.
pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  auto res = doc.load_string(xml.c_str());
  EXPECT_TRUE(res) << res.description() << " in " << xml;
  return doc;
}

/// Names of the element children, in order.
std::vector<std::string> child_names(pugi::xml_node node) {
  std::vector<std::string> out;
  for (auto c : node.children())
    if (c.type() == pugi::node_element)
      out.emplace_back(c.name());
  return out;
}

std::string text(pugi::xml_node node, const char* path) {
  return node.first_element_by_path(path).text().get();
}

model::deployment make_deployment() {
  model::deployment d;
  d.name = "dep1";
  d.label = "version one";
  d.in_slot = model::slot::production;
  d.status = model::deployment_status::running;
  d.definition.name = "svc";
  d.definition.upgrade_domain_count = 2;
  model::role_definition web;
  web.name = "WebRole1";
  web.kind = model::role_kind::web;
  web.vm_size = "Medium";
  web.endpoints.push_back({"http", model::endpoint_kind::input, "http", 80, 8080, 0, 0});
  web.endpoints.push_back({"peer", model::endpoint_kind::internal, "tcp", 0, 9000, 0, 0});
  d.definition.roles.push_back(web);
  model::role_definition worker;
  worker.name = "WorkerRole1";
  d.definition.roles.push_back(worker);
  d.configuration.service_name = "svc";
  d.configuration.os_version = "WA-GUEST-OS-2.5_201104-01";
  d.instances.push_back({"WebRole1_IN_0", "WebRole1", 0, 0, 0, "node-a",
                         model::instance_state::ready_role, "v1"});
  d.instances.push_back({"WebRole1_IN_1", "WebRole1", 1, 1, 1, "node-b",
                         model::instance_state::stopped_vm, "v1"});
  d.instances.push_back({"WorkerRole1_IN_0", "WorkerRole1", 0, 0, 0, "node-a",
                         model::instance_state::busy_role, "v1"});
  return d;
}

deployment_view make_view() {
  deployment_view v;
  v.private_id = "0123456789abcdef0123456789abcdef";
  v.vip = "10.0.0.100";
  v.configuration_text = "<ServiceConfiguration serviceName=\"svc\"/>";
  v.sdk_version = "1.4.20407.2049";
  v.created_time = "2011-05-03T12:00:00Z";
  v.last_modified_time = "2011-05-03T12:30:00Z";
  v.instances["WebRole1_IN_0"] = {"10.1.0.4", {{"http", 20001}}, ""};
  v.instances["WebRole1_IN_1"] = {"10.1.0.5", {}, "Stopping (Rebooting)"};
  return v;
}

} // namespace

// -- Deployment ----------------------------------------------------------------

TEST(sm_responses, deployment_has_default_namespace_and_documented_order) {
  auto xml = render_deployment(make_deployment(), "svc", make_view());
  EXPECT_EQ(xml.rfind(R"(<Deployment xmlns="http://schemas.microsoft.com/windowsazure">)", 0), 0u)
    << xml;
  EXPECT_EQ(xml.find("xmlns:"), std::string::npos) << "no prefixed alias of the namespace";
  EXPECT_EQ(xml.find('\n'), std::string::npos) << "compact: minidom reads whitespace as text";
  auto doc = parse(xml);
  auto d = doc.child("Deployment");
  EXPECT_STREQ(d.attribute("xmlns").value(), ns);
  EXPECT_EQ(child_names(d),
            (std::vector<std::string>{"Name", "DeploymentSlot", "PrivateID", "Status", "Label",
                                      "Url", "Configuration", "RoleInstanceList",
                                      "UpgradeDomainCount", "RoleList", "SdkVersion", "Locked",
                                      "RollbackAllowed", "CreatedTime", "LastModifiedTime",
                                      "VirtualIPs"}));
}

TEST(sm_responses, deployment_fields_read_as_a_client_reads_them) {
  auto doc = parse(render_deployment(make_deployment(), "svc", make_view()));
  auto d = doc.child("Deployment");
  EXPECT_EQ(text(d, "Name"), "dep1");
  EXPECT_EQ(text(d, "DeploymentSlot"), "Production");
  EXPECT_EQ(text(d, "PrivateID"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(text(d, "Status"), "Running");
  EXPECT_EQ(base64_decode(text(d, "Label")), "version one");
  EXPECT_EQ(text(d, "Url"), "http://svc.cloudapp.net/");
  EXPECT_EQ(base64_decode(text(d, "Configuration")), "<ServiceConfiguration serviceName=\"svc\"/>");
  EXPECT_EQ(text(d, "UpgradeDomainCount"), "2");
  EXPECT_EQ(text(d, "SdkVersion"), "1.4.20407.2049");
  EXPECT_EQ(text(d, "Locked"), "false");
  EXPECT_EQ(text(d, "RollbackAllowed"), "false");
  EXPECT_EQ(text(d, "CreatedTime"), "2011-05-03T12:00:00Z");
  EXPECT_EQ(text(d, "LastModifiedTime"), "2011-05-03T12:30:00Z");
  EXPECT_EQ(text(d, "VirtualIPs/VirtualIP/Address"), "10.0.0.100");

  auto roles = d.child("RoleList");
  EXPECT_EQ(child_names(roles), (std::vector<std::string>{"Role", "Role"}));
  EXPECT_EQ(text(roles, "Role/RoleName"), "WebRole1");
  EXPECT_EQ(text(roles, "Role/OsVersion"), "WA-GUEST-OS-2.5_201104-01");
}

TEST(sm_responses, role_instances_carry_domains_state_size_and_runtime_addresses) {
  auto doc = parse(render_deployment(make_deployment(), "svc", make_view()));
  auto list = doc.child("Deployment").child("RoleInstanceList");
  std::vector<pugi::xml_node> instances;
  for (auto i : list.children("RoleInstance"))
    instances.push_back(i);
  ASSERT_EQ(instances.size(), 3u);

  auto web0 = instances[0];
  EXPECT_EQ(child_names(web0),
            (std::vector<std::string>{"RoleName", "InstanceName", "InstanceStatus",
                                      "InstanceUpgradeDomain", "InstanceFaultDomain",
                                      "InstanceSize", "InstanceStateDetails", "IpAddress",
                                      "InstanceEndpoints", "PowerState"}));
  EXPECT_EQ(text(web0, "RoleName"), "WebRole1");
  EXPECT_EQ(text(web0, "InstanceName"), "WebRole1_IN_0");
  EXPECT_EQ(text(web0, "InstanceStatus"), "ReadyRole");
  EXPECT_EQ(text(web0, "InstanceUpgradeDomain"), "0");
  EXPECT_EQ(text(web0, "InstanceFaultDomain"), "0");
  EXPECT_EQ(text(web0, "InstanceSize"), "Medium");
  EXPECT_EQ(text(web0, "IpAddress"), "10.1.0.4");
  EXPECT_EQ(text(web0, "PowerState"), "Started");
  auto endpoints = web0.child("InstanceEndpoints");
  EXPECT_EQ(child_names(endpoints), (std::vector<std::string>{"InstanceEndpoint"}))
    << "internal endpoints are not instance endpoints";
  auto ep = endpoints.child("InstanceEndpoint");
  EXPECT_EQ(child_names(ep), (std::vector<std::string>{"Name", "Vip", "PublicPort", "LocalPort",
                                                       "Protocol"}));
  EXPECT_EQ(text(ep, "Name"), "http");
  EXPECT_EQ(text(ep, "Vip"), "10.0.0.100");
  EXPECT_EQ(text(ep, "PublicPort"), "80");
  EXPECT_EQ(text(ep, "LocalPort"), "20001") << "the runtime port wins";
  EXPECT_EQ(text(ep, "Protocol"), "http");

  auto web1 = instances[1];
  EXPECT_EQ(text(web1, "InstanceStatus"), "StoppedVM");
  EXPECT_EQ(text(web1, "InstanceUpgradeDomain"), "1");
  EXPECT_EQ(text(web1, "InstanceFaultDomain"), "1");
  EXPECT_EQ(text(web1, "InstanceStateDetails"), "Stopping (Rebooting)");
  EXPECT_EQ(text(web1, "PowerState"), "Stopped");
  EXPECT_EQ(text(web1, "InstanceEndpoints/InstanceEndpoint/LocalPort"), "8080")
    << "no runtime port: the definition's localPort";

  auto worker = instances[2];
  EXPECT_EQ(text(worker, "InstanceSize"), "Small");
  EXPECT_EQ(text(worker, "InstanceStatus"), "BusyRole");
  EXPECT_FALSE(worker.child("IpAddress")) << "no runtime data: no IpAddress";
  EXPECT_FALSE(worker.child("InstanceEndpoints")) << "a role without public endpoints";
}

TEST(sm_responses, no_upgrade_status_when_idle) {
  auto xml = render_deployment(make_deployment(), "svc", make_view());
  EXPECT_EQ(xml.find("UpgradeStatus"), std::string::npos);
}

TEST(sm_responses, upgrade_status_while_an_upgrade_runs) {
  auto d = make_deployment();
  model::upgrade_status up;
  up.mode = model::upgrade_mode::manual;
  up.current_upgrade_domain = 1;
  up.current_state = model::upgrade_domain_state::before;
  d.upgrade = up;
  auto view = make_view();
  view.locked = true;
  auto doc = parse(render_deployment(d, "svc", view));
  auto root = doc.child("Deployment");
  auto names = child_names(root);
  ASSERT_GE(names.size(), 10u);
  EXPECT_EQ(names[7], "RoleInstanceList");
  EXPECT_EQ(names[8], "UpgradeStatus");
  EXPECT_EQ(names[9], "UpgradeDomainCount");
  auto us = root.child("UpgradeStatus");
  EXPECT_EQ(child_names(us), (std::vector<std::string>{"UpgradeType", "CurrentUpgradeDomainState",
                                                       "CurrentUpgradeDomain"}));
  EXPECT_EQ(text(us, "UpgradeType"), "Manual");
  EXPECT_EQ(text(us, "CurrentUpgradeDomainState"), "Before");
  EXPECT_EQ(text(us, "CurrentUpgradeDomain"), "1");
  EXPECT_EQ(text(root, "Locked"), "true");
  EXPECT_EQ(text(root, "RollbackAllowed"), "true") << "derived: an upgrade is in flight";

  d.upgrade->mode = model::upgrade_mode::automatic;
  d.upgrade->current_state = model::upgrade_domain_state::during;
  d.upgrade->rolling_back = true;
  auto doc2 = parse(render_deployment(d, "svc", view));
  EXPECT_EQ(text(doc2.child("Deployment"), "UpgradeStatus/UpgradeType"), "Auto");
  EXPECT_EQ(text(doc2.child("Deployment"), "UpgradeStatus/CurrentUpgradeDomainState"), "During");
  EXPECT_EQ(text(doc2.child("Deployment"), "RollbackAllowed"), "false")
    << "a rollback cannot be rolled back";
}

TEST(sm_responses, staging_defaults_private_id_url_and_omits_optional_parts) {
  auto d = make_deployment();
  d.in_slot = model::slot::staging;
  d.status = model::deployment_status::suspended;
  auto doc = parse(render_deployment(d, "svc", deployment_view{}));
  auto root = doc.child("Deployment");
  auto id = derive_private_id("svc", "dep1");
  EXPECT_EQ(text(root, "DeploymentSlot"), "Staging");
  EXPECT_EQ(text(root, "Status"), "Suspended");
  EXPECT_EQ(text(root, "PrivateID"), id);
  EXPECT_EQ(text(root, "Url"), "http://" + id + ".cloudapp.net/");
  EXPECT_FALSE(root.child("CreatedTime"));
  EXPECT_FALSE(root.child("VirtualIPs"));
  EXPECT_FALSE(root.first_element_by_path("RoleInstanceList/RoleInstance/InstanceEndpoints/"
                                          "InstanceEndpoint/Vip"));
  EXPECT_TRUE(root.child("SdkVersion")) << "present even when empty";
}

TEST(sm_responses, configuration_round_trips_a_utf16le_cscfg_as_utf8) {
  // A UTF-16LE (BOM) .cscfg arrives base64-encoded; the response hands back
  // base64 of UTF-8 text that declares utf-8 (the SDKs decode it as UTF-8).
  std::string ascii = R"(<?xml version="1.0" encoding="utf-16"?>)"
                      R"(<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">)"
                      R"(<Role name="WebRole1"><Instances count="2"/></Role></ServiceConfiguration>)";
  std::string utf16 = "\xff\xfe";
  for (char c : ascii) {
    utf16 += c;
    utf16 += '\0';
  }
  auto payload = decode_configuration(base64_encode(utf16));
  ASSERT_TRUE(payload.ok()) << payload.err().message;
  auto d = make_deployment();
  d.configuration = payload->parsed;
  auto view = make_view();
  view.configuration_text = payload->text;
  auto doc = parse(render_deployment(d, "svc", view));
  auto decoded = base64_decode(text(doc.child("Deployment"), "Configuration"));
  ASSERT_TRUE(decoded);
  std::string expected = ascii;
  expected.replace(expected.find("utf-16"), 6, "utf-8");
  EXPECT_EQ(*decoded, expected);
  pugi::xml_document cfg;
  ASSERT_TRUE(cfg.load_string(decoded->c_str()));
  EXPECT_STREQ(cfg.child("ServiceConfiguration").attribute("serviceName").value(), "svc");
}

TEST(sm_responses, configuration_without_kept_text_is_rendered_from_the_model) {
  auto d = make_deployment();
  model::role_configuration rc;
  rc.name = "WebRole1";
  rc.instance_count = 2;
  rc.settings["Greeting"] = "a<b & \"c\"";
  rc.certificates.push_back({"SSL", "ABCDEF", "sha1"});
  d.configuration.roles.push_back(rc);
  d.configuration.os_family = "2";
  auto doc = parse(render_deployment(d, "svc", deployment_view{}));
  auto decoded = base64_decode(text(doc.child("Deployment"), "Configuration"));
  ASSERT_TRUE(decoded);
  auto reparsed = decode_configuration(base64_encode(*decoded));
  ASSERT_TRUE(reparsed.ok()) << reparsed.err().message << "\n" << *decoded;
  EXPECT_EQ(reparsed->parsed.service_name, "svc");
  EXPECT_EQ(reparsed->parsed.os_family, "2");
  EXPECT_EQ(reparsed->parsed.os_version, "WA-GUEST-OS-2.5_201104-01");
  ASSERT_EQ(reparsed->parsed.roles.size(), 1u);
  EXPECT_EQ(reparsed->parsed.roles[0].instance_count, 2);
  EXPECT_EQ(reparsed->parsed.roles[0].settings.at("Greeting"), "a<b & \"c\"");
  EXPECT_EQ(reparsed->parsed.roles[0].certificates.at(0).thumbprint, "ABCDEF");
}

TEST(sm_responses, text_is_escaped) {
  auto d = make_deployment();
  d.name = "a<b&c";
  auto xml = render_deployment(d, "svc", make_view());
  EXPECT_NE(xml.find("<Name>a&lt;b&amp;c</Name>"), std::string::npos) << xml;
  EXPECT_EQ(text(parse(xml).child("Deployment"), "Name"), "a<b&c");
}

TEST(sm_responses, power_state_follows_instance_state) {
  EXPECT_STREQ(power_state_of(model::instance_state::ready_role), "Started");
  EXPECT_STREQ(power_state_of(model::instance_state::starting_vm), "Starting");
  EXPECT_STREQ(power_state_of(model::instance_state::stopping_vm), "Stopping");
  EXPECT_STREQ(power_state_of(model::instance_state::stopped_vm), "Stopped");
  EXPECT_STREQ(power_state_of(model::instance_state::creating_vm), "Stopped")
    << "recorded: a suspended new deployment shows CreatingVM / Stopped";
  EXPECT_STREQ(power_state_of(model::instance_state::role_state_unknown), "Unknown");
}

// -- HostedService / HostedServices -------------------------------------------------

namespace {

model::hosted_service make_service() {
  model::hosted_service s;
  s.name = "svc";
  s.label = "my service";
  s.description = "desc";
  s.location = "West US";
  s.production = make_deployment();
  auto staging = make_deployment();
  staging.name = "dep2";
  staging.in_slot = model::slot::staging;
  s.staging = staging;
  return s;
}

hosted_service_view make_service_view() {
  hosted_service_view v;
  v.url = "http://127.0.0.1:8443/sub1/services/hostedservices/svc";
  v.date_created = "2011-05-03T11:00:00Z";
  v.date_last_modified = "2011-05-03T11:05:00Z";
  v.production = make_view();
  return v;
}

} // namespace

TEST(sm_responses, hosted_service_properties_without_detail) {
  auto xml = render_hosted_service(make_service(), make_service_view(), false);
  EXPECT_EQ(xml.rfind(R"(<HostedService xmlns="http://schemas.microsoft.com/windowsazure">)", 0), 0u);
  auto doc = parse(xml);
  auto hs = doc.child("HostedService");
  EXPECT_EQ(child_names(hs), (std::vector<std::string>{"Url", "ServiceName", "HostedServiceProperties"}));
  auto props = hs.child("HostedServiceProperties");
  EXPECT_EQ(child_names(props), (std::vector<std::string>{"Description", "Location", "Label",
                                                          "Status", "DateCreated",
                                                          "DateLastModified"}));
  EXPECT_EQ(text(hs, "Url"), "http://127.0.0.1:8443/sub1/services/hostedservices/svc");
  EXPECT_EQ(text(hs, "ServiceName"), "svc");
  EXPECT_EQ(text(props, "Description"), "desc");
  EXPECT_EQ(text(props, "Location"), "West US");
  EXPECT_EQ(base64_decode(text(props, "Label")), "my service");
  EXPECT_EQ(text(props, "Status"), "Created");
}

TEST(sm_responses, hosted_service_with_embed_detail_lists_both_deployments) {
  auto view = make_service_view();
  view.affinity_group = "ag1";
  auto doc = parse(render_hosted_service(make_service(), view, true));
  auto hs = doc.child("HostedService");
  EXPECT_EQ(child_names(hs), (std::vector<std::string>{"Url", "ServiceName",
                                                       "HostedServiceProperties", "Deployments"}));
  EXPECT_EQ(text(hs, "HostedServiceProperties/AffinityGroup"), "ag1");
  EXPECT_FALSE(hs.child("HostedServiceProperties").child("Location"));
  auto deps = hs.child("Deployments");
  EXPECT_EQ(child_names(deps), (std::vector<std::string>{"Deployment", "Deployment"}));
  auto first = deps.child("Deployment");
  EXPECT_EQ(text(first, "Name"), "dep1");
  EXPECT_EQ(text(first, "DeploymentSlot"), "Production");
  EXPECT_EQ(text(first, "RoleInstanceList/RoleInstance/IpAddress"), "10.1.0.4");
  auto second = first.next_sibling("Deployment");
  EXPECT_EQ(text(second, "Name"), "dep2");
  EXPECT_EQ(text(second, "DeploymentSlot"), "Staging");
  EXPECT_FALSE(first.attribute("xmlns")) << "inherits the root's default namespace";
}

TEST(sm_responses, hosted_service_with_embed_detail_and_no_deployment_has_empty_deployments) {
  auto s = make_service();
  s.production.reset();
  s.staging.reset();
  auto doc = parse(render_hosted_service(s, hosted_service_view{}, true));
  auto hs = doc.child("HostedService");
  EXPECT_EQ(child_names(hs), (std::vector<std::string>{"ServiceName", "HostedServiceProperties",
                                                       "Deployments"}));
  EXPECT_TRUE(child_names(hs.child("Deployments")).empty());
}

TEST(sm_responses, hosted_services_list_has_properties_but_no_deployments) {
  auto a = make_service();
  auto b = make_service();
  b.name = "other";
  auto xml = render_hosted_services({{&a, make_service_view()}, {&b, hosted_service_view{}}});
  EXPECT_EQ(xml.rfind(R"(<HostedServices xmlns="http://schemas.microsoft.com/windowsazure">)", 0), 0u);
  auto doc = parse(xml);
  auto list = doc.child("HostedServices");
  EXPECT_EQ(child_names(list), (std::vector<std::string>{"HostedService", "HostedService"}));
  EXPECT_EQ(text(list, "HostedService/ServiceName"), "svc");
  EXPECT_EQ(text(list.child("HostedService").next_sibling(), "ServiceName"), "other");
  EXPECT_EQ(xml.find("<Deployments"), std::string::npos);
  EXPECT_EQ(render_hosted_services({}),
            R"(<HostedServices xmlns="http://schemas.microsoft.com/windowsazure"/>)");
}

// -- Operation / Error ------------------------------------------------------------

TEST(sm_responses, operation_in_progress_has_no_status_code_and_no_error) {
  operation_view op;
  op.request_id = "0123456789abcdef0123456789abcdef";
  op.status = operation_status::in_progress;
  op.http_status_code = 202;
  op.error_code = "ConflictError"; // ignored unless Failed
  EXPECT_EQ(render_operation(op),
            R"(<Operation xmlns="http://schemas.microsoft.com/windowsazure">)"
            "<ID>01234567-89ab-cdef-0123-456789abcdef</ID><Status>InProgress</Status></Operation>");
}

TEST(sm_responses, operation_succeeded_has_status_code_and_no_error) {
  operation_view op;
  op.request_id = "0123456789abcdef0123456789abcdef";
  op.status = operation_status::succeeded;
  auto xml = render_operation(op);
  EXPECT_EQ(xml, R"(<Operation xmlns="http://schemas.microsoft.com/windowsazure">)"
                 "<ID>01234567-89ab-cdef-0123-456789abcdef</ID><Status>Succeeded</Status>"
                 "<HttpStatusCode>200</HttpStatusCode></Operation>");
  EXPECT_EQ(xml.find("Error"), std::string::npos)
    << "Python treats any <Error> element as a failure";
  op.http_status_code = 201;
  EXPECT_NE(render_operation(op).find("<HttpStatusCode>201</HttpStatusCode>"), std::string::npos);
}

TEST(sm_responses, operation_failed_always_has_error_code_and_message) {
  auto op = failed_operation("0123456789abcdef0123456789abcdef",
                             make_error(codes::conflict_error, "The deployment is locked."));
  auto doc = parse(render_operation(op));
  auto root = doc.child("Operation");
  EXPECT_EQ(child_names(root),
            (std::vector<std::string>{"ID", "Status", "HttpStatusCode", "Error"}));
  EXPECT_EQ(text(root, "Status"), "Failed");
  EXPECT_EQ(text(root, "HttpStatusCode"), "409");
  EXPECT_EQ(child_names(root.child("Error")), (std::vector<std::string>{"Code", "Message"}));
  EXPECT_EQ(text(root, "Error/Code"), "ConflictError");
  EXPECT_EQ(text(root, "Error/Message"), "The deployment is locked.");

  operation_view bare;
  bare.request_id = "0123456789abcdef0123456789abcdef";
  bare.status = operation_status::failed;
  auto doc2 = parse(render_operation(bare));
  EXPECT_EQ(text(doc2.child("Operation"), "HttpStatusCode"), "500");
  EXPECT_EQ(text(doc2.child("Operation"), "Error/Code"), "InternalError");
  EXPECT_EQ(text(doc2.child("Operation"), "Error/Message"), "The operation failed.");
}

TEST(sm_responses, error_body) {
  EXPECT_EQ(render_error("ResourceNotFound", "The hosted service does not exist."),
            R"(<Error xmlns="http://schemas.microsoft.com/windowsazure"><Code>ResourceNotFound</Code>)"
            "<Message>The hosted service does not exist.</Message></Error>");
  auto e = to_sm_error(make_error(codes::bad_request, "x < y"));
  EXPECT_EQ(render_error(e),
            R"(<Error xmlns="http://schemas.microsoft.com/windowsazure"><Code>BadRequest</Code>)"
            "<Message>x &lt; y</Message></Error>");
}

TEST(sm_responses, availability_response) {
  EXPECT_EQ(render_availability(true, ""),
            R"(<AvailabilityResponse xmlns="http://schemas.microsoft.com/windowsazure">)"
            "<Result>true</Result><Reason/></AvailabilityResponse>");
  auto doc = parse(render_availability(false, "The name is taken."));
  EXPECT_EQ(text(doc.child("AvailabilityResponse"), "Result"), "false");
  EXPECT_EQ(text(doc.child("AvailabilityResponse"), "Reason"), "The name is taken.");
}
