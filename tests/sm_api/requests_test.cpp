// Request bodies exactly as the SDKs send them (see sm_api/README.md):
// Python azure-servicemanagement-legacy 0.20.x writes no prolog, the root as
// <X xmlns:i="http://www.w3.org/2001/XMLSchema-instance"
// xmlns="http://schemas.microsoft.com/windowsazure"> and the children with no
// whitespace; it base64-encodes Label itself and passes Configuration through
// (callers give base64). Node azure-asm-compute 0.18.0 writes the prolog
// <?xml version="1.0" encoding="utf-8" standalone="yes"?> and only xmlns.

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "sm_api/base64.hpp"
#include "sm_api/requests.hpp"
#include "sm_api/sm_error.hpp"

using namespace fabric;
using namespace fabric::sm_api;

namespace {

const std::string node_prolog = R"(<?xml version="1.0" encoding="utf-8" standalone="yes"?>)";

/// The Python SDK's doc_from_xml.
std::string python_doc(const std::string& root, const std::string& inner) {
  return "<" + root
         + R"( xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/windowsazure">)"
         + inner + "</" + root + ">";
}

/// The Node SDK's body: prolog, then the root with the default namespace.
std::string node_doc(const std::string& root, const std::string& inner) {
  return node_prolog + "<" + root + R"( xmlns="http://schemas.microsoft.com/windowsazure">)"
         + inner + "</" + root + ">";
}

const std::string cscfg = R"(<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="WebRole1"><Instances count="2" /></Role>
</ServiceConfiguration>)";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class T>
std::string message_of(const result<T>& r) {
  return r.ok() ? std::string{"(ok)"} : r.err().message;
}

} // namespace

// -- CreateHostedService -------------------------------------------------------

TEST(sm_requests, create_hosted_service_as_python_sends_it) {
  auto body = python_doc("CreateHostedService",
                         "<ServiceName>svc1</ServiceName><Label>" + base64_encode("my service")
                           + "</Label><Description>a test</Description>"
                             "<Location>West US</Location>");
  auto r = parse_create_hosted_service(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->service_name, "svc1");
  EXPECT_EQ(r->label, "my service");
  EXPECT_EQ(r->description, "a test");
  EXPECT_EQ(r->location, "West US");
  EXPECT_EQ(r->affinity_group, "");
}

TEST(sm_requests, create_hosted_service_as_node_sends_it_with_affinity_group) {
  auto body = node_doc("CreateHostedService", "<ServiceName>svc-2</ServiceName><Label>"
                                                + base64_encode("lab") + "</Label>"
                                                + "<AffinityGroup>ag1</AffinityGroup>");
  auto r = parse_create_hosted_service(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->service_name, "svc-2");
  EXPECT_EQ(r->description, "");
  EXPECT_EQ(r->location, "");
  EXPECT_EQ(r->affinity_group, "ag1");
}

TEST(sm_requests, create_hosted_service_checks_name_label_and_location) {
  auto label = "<Label>" + base64_encode("l") + "</Label>";
  EXPECT_EQ(message_of(parse_create_hosted_service(python_doc(
              "CreateHostedService", "<ServiceName>bad_name</ServiceName>" + label
                                       + "<Location>West US</Location>"))),
            "BadRequest: The hosted service name 'bad_name' is invalid; use 1 to 63 letters, "
            "digits and hyphens, not starting or ending with a hyphen.");
  EXPECT_EQ(message_of(parse_create_hosted_service(
              python_doc("CreateHostedService", "<ServiceName>s</ServiceName>" + label))),
            "BadRequest: Either Location or AffinityGroup is required.");
  EXPECT_EQ(message_of(parse_create_hosted_service(python_doc(
              "CreateHostedService", "<ServiceName>s</ServiceName>" + label
                                       + "<Location>a</Location><AffinityGroup>b</AffinityGroup>"))),
            "BadRequest: Specify either Location or AffinityGroup, not both.");
  EXPECT_EQ(message_of(parse_create_hosted_service(python_doc(
              "CreateHostedService",
              "<ServiceName>s</ServiceName><Label>my label</Label><Location>a</Location>"))),
            "BadRequest: The value of Label is not valid base64.");
  EXPECT_EQ(message_of(parse_create_hosted_service(python_doc(
              "CreateHostedService", "<ServiceName>s</ServiceName><Label>"
                                       + base64_encode(std::string(101, 'x'))
                                       + "</Label><Location>a</Location>"))),
            "BadRequest: The value of Label is 101 characters long; a label may have at most 100.");
  EXPECT_EQ(message_of(parse_create_hosted_service(python_doc(
              "CreateHostedService", "<ServiceName>s</ServiceName><Label>"
                                       + base64_encode("\xff\xfe") + "</Label><Location>a</Location>"))),
            "BadRequest: The value of Label does not decode to UTF-8 text.");
  EXPECT_EQ(message_of(parse_create_hosted_service(
              python_doc("CreateHostedService", label + "<Location>a</Location>"))),
            "BadRequest: The required element ServiceName is missing from <CreateHostedService>.");
}

TEST(sm_requests, label_of_100_non_ascii_characters_is_accepted) {
  std::string label;
  for (int i = 0; i < 100; ++i)
    label += "\xc3\xab"; // ë, two bytes each
  auto r = parse_create_hosted_service(python_doc(
    "CreateHostedService", "<ServiceName>s</ServiceName><Label>" + base64_encode(label)
                             + "</Label><Location>a</Location>"));
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->label, label);
}

// -- CreateDeployment ----------------------------------------------------------

TEST(sm_requests, create_deployment_as_python_sends_it) {
  auto body = python_doc(
    "CreateDeployment",
    "<Name>dep1</Name><PackageUrl>http://store/pkg.cspkg</PackageUrl><Label>"
      + base64_encode("v1 label") + "</Label><Configuration>" + base64_encode(cscfg)
      + "</Configuration><StartDeployment>true</StartDeployment>"
        "<TreatWarningsAsError>false</TreatWarningsAsError>"
        "<ExtendedProperties><ExtendedProperty><Name>k</Name><Value>v</Value>"
        "</ExtendedProperty></ExtendedProperties>");
  auto r = parse_create_deployment(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->name, "dep1");
  EXPECT_EQ(r->package_url, "http://store/pkg.cspkg");
  EXPECT_EQ(r->label, "v1 label");
  EXPECT_EQ(r->configuration.text, cscfg);
  ASSERT_EQ(r->configuration.parsed.roles.size(), 1u);
  EXPECT_EQ(r->configuration.parsed.roles[0].name, "WebRole1");
  EXPECT_EQ(r->configuration.parsed.roles[0].instance_count, 2);
  EXPECT_TRUE(r->start_deployment);
  EXPECT_FALSE(r->treat_warnings_as_error);
}

TEST(sm_requests, create_deployment_as_node_sends_it_without_optional_booleans) {
  auto body = node_doc("CreateDeployment", "<Name>dep1</Name><PackageUrl>pkg</PackageUrl><Label>"
                                             + base64_encode("l") + "</Label><Configuration>"
                                             + base64_encode(cscfg) + "</Configuration>");
  auto r = parse_create_deployment(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_FALSE(r->start_deployment); // absent: the deployment stays Suspended
  EXPECT_FALSE(r->treat_warnings_as_error);
  EXPECT_EQ(r->configuration.parsed.service_name, "svc");
}

TEST(sm_requests, only_direct_children_count_and_unknown_elements_are_ignored) {
  // ExtendedProperty/Name comes first here; the deployment's own Name is later.
  auto body = python_doc(
    "CreateDeployment",
    "<ExtendedProperties><ExtendedProperty><Name>wrong</Name><Value>v</Value></ExtendedProperty>"
    "</ExtendedProperties><ExtensionConfiguration><AllRoles/></ExtensionConfiguration>"
    "<Name>right</Name><PackageUrl>pkg</PackageUrl><Label>"
      + base64_encode("l") + "</Label><Configuration>" + base64_encode(cscfg)
      + "</Configuration><Unknown>x</Unknown>");
  auto r = parse_create_deployment(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->name, "right");
}

TEST(sm_requests, booleans_are_case_insensitive_and_trimmed) {
  auto make = [](const std::string& start) {
    return python_doc("CreateDeployment",
                      "<Name>d</Name><PackageUrl>p</PackageUrl><Label>" + base64_encode("l")
                        + "</Label><Configuration>" + base64_encode(cscfg)
                        + "</Configuration><StartDeployment>" + start + "</StartDeployment>");
  };
  for (const char* yes : {"true", "True", "TRUE", " true\n"}) {
    auto r = parse_create_deployment(make(yes));
    ASSERT_TRUE(r.ok()) << yes << ": " << message_of(r);
    EXPECT_TRUE(r->start_deployment) << yes;
  }
  for (const char* no : {"false", "False", "FALSE"}) {
    auto r = parse_create_deployment(make(no));
    ASSERT_TRUE(r.ok()) << no;
    EXPECT_FALSE(r->start_deployment) << no;
  }
  EXPECT_EQ(message_of(parse_create_deployment(make("yes"))),
            "BadRequest: The value 'yes' of StartDeployment is not a boolean; use true or false.");
  EXPECT_EQ(message_of(parse_create_deployment(make("1"))),
            "BadRequest: The value '1' of StartDeployment is not a boolean; use true or false.");
}

TEST(sm_requests, configuration_in_utf16le_with_bom_is_decoded_and_declared_utf8) {
  auto bytes = read_file(std::string{FABRIC_TEST_DATA} + "/edge/utf16le-bom.cscfg");
  ASSERT_EQ(bytes.substr(0, 2), "\xff\xfe");
  auto body = node_doc("CreateDeployment", "<Name>d</Name><PackageUrl>p</PackageUrl><Label>"
                                             + base64_encode("l") + "</Label><Configuration>"
                                             + base64_encode(bytes) + "</Configuration>");
  auto r = parse_create_deployment(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  const auto& text = r->configuration.text;
  EXPECT_EQ(text.rfind(R"(<?xml version="1.0" encoding="utf-8"?>)", 0), 0u) << text;
  EXPECT_NE(text.find("value=\"Zo\xc3\xab\""), std::string::npos) << "ë as UTF-8";
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_EQ(r->configuration.parsed.service_name, "Wide");
  EXPECT_EQ(r->configuration.parsed.roles.at(0).instance_count, 4);
  EXPECT_EQ(r->configuration.parsed.roles.at(0).settings.at("Name"), "Zo\xc3\xab");
}

TEST(sm_requests, real_lokad_cscfg_utf16le_and_utf8_bom_configurations_decode) {
  auto lokad = read_file(std::string{FABRIC_TEST_DATA}
                         + "/service-models/cdrnet__lokad-cloud__Source__Lokad.Cloud__"
                           "ServiceConfiguration.cscfg");
  auto a = decode_configuration(base64_encode(lokad));
  ASSERT_TRUE(a.ok()) << message_of(a);
  EXPECT_EQ(a->parsed.roles.size(), 2u);
  EXPECT_EQ(a->text.rfind("<?xml version=\"1.0\"?>", 0), 0u);

  auto b = decode_configuration(base64_encode("\xef\xbb\xbf" + cscfg));
  ASSERT_TRUE(b.ok()) << message_of(b);
  EXPECT_EQ(b->text, cscfg) << "the BOM is dropped";
}

TEST(sm_requests, bad_configurations_are_bad_requests_that_say_why) {
  EXPECT_EQ(message_of(decode_configuration("not base64!")),
            "BadRequest: The value of Configuration is not valid base64.");
  EXPECT_EQ(message_of(decode_configuration(base64_encode("<ServiceDefinition name=\"x\"/>"))),
            "BadRequest: The value of Configuration is not a valid service configuration: "
            "ServiceConfiguration.cscfg:1: wrong root element <ServiceDefinition>; expected "
            "<ServiceConfiguration> (this file is a service definition (.csdef))");
  auto body = python_doc("ChangeConfiguration", "<Configuration>" + base64_encode("<Service")
                                                  + "</Configuration>");
  auto r = parse_change_configuration(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message.rfind("BadRequest: The value of Configuration is not a valid "
                                  "service configuration: ServiceConfiguration.cscfg:1: malformed XML",
                                  0),
            0u)
    << r.err().message;
}

TEST(sm_requests, create_deployment_requires_its_elements) {
  auto cfg = "<Configuration>" + base64_encode(cscfg) + "</Configuration>";
  auto label = "<Label>" + base64_encode("l") + "</Label>";
  EXPECT_EQ(message_of(parse_create_deployment(
              python_doc("CreateDeployment", "<PackageUrl>p</PackageUrl>" + label + cfg))),
            "BadRequest: The required element Name is missing from <CreateDeployment>.");
  EXPECT_EQ(message_of(parse_create_deployment(
              python_doc("CreateDeployment", "<Name>d</Name><PackageUrl></PackageUrl>" + label + cfg))),
            "BadRequest: The required element PackageUrl is empty.");
  EXPECT_EQ(message_of(parse_create_deployment(
              python_doc("CreateDeployment", "<Name>d</Name><PackageUrl>p</PackageUrl>" + label))),
            "BadRequest: The required element Configuration is missing from <CreateDeployment>.");
  EXPECT_EQ(message_of(parse_create_deployment(
              python_doc("CreateDeployment", "<Name>d</Name><PackageUrl>p</PackageUrl>" + cfg))),
            "BadRequest: The required element Label is missing from <CreateDeployment>.");
}

// -- the envelope: prolog, namespace, malformed bodies -----------------------------

TEST(sm_requests, body_without_namespace_or_with_prefix_is_accepted) {
  auto inner = "<Status>Running</Status>";
  EXPECT_TRUE(parse_update_deployment_status(
                std::string{"<UpdateDeploymentStatus>"} + inner + "</UpdateDeploymentStatus>")
                .ok());
  EXPECT_TRUE(parse_update_deployment_status(
                R"(<a:UpdateDeploymentStatus xmlns:a="http://schemas.microsoft.com/windowsazure"><a:Status>Running</a:Status></a:UpdateDeploymentStatus>)")
                .ok());
  EXPECT_TRUE(parse_update_deployment_status("\xef\xbb\xbf" + node_doc("UpdateDeploymentStatus", inner)).ok())
    << "UTF-8 BOM";
}

TEST(sm_requests, bad_envelopes_are_invalid_xml_requests) {
  EXPECT_EQ(message_of(parse_swap("")),
            "InvalidXmlRequest: The request body is empty; expected a <Swap> element.");
  EXPECT_EQ(message_of(parse_swap("  \r\n")),
            "InvalidXmlRequest: The request body is empty; expected a <Swap> element.");
  EXPECT_EQ(message_of(parse_swap("<Swap><Production>a</Production>")),
            "InvalidXmlRequest: The request body is not well-formed XML: Start-end tags mismatch "
            "at offset 31.");
  EXPECT_EQ(message_of(parse_swap(node_doc("UpdateDeploymentStatus", "<Status>Running</Status>"))),
            "InvalidXmlRequest: The request body's root element is <UpdateDeploymentStatus>; "
            "expected <Swap>.");
  EXPECT_EQ(message_of(parse_swap(R"(<Swap xmlns="urn:other"><SourceDeployment>b</SourceDeployment></Swap>)")),
            "InvalidXmlRequest: The <Swap> element is in the namespace 'urn:other'; expected "
            "http://schemas.microsoft.com/windowsazure or no namespace.");
  EXPECT_EQ(message_of(parse_swap("<?xml version=\"1.0\"?><!-- nothing -->")),
            "InvalidXmlRequest: The request body is not well-formed XML: No document element "
            "found at offset 37.");
  auto r = parse_swap(std::string("<Swap>\0</Swap>", 14));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message.rfind("InvalidXmlRequest: The request body is not valid text: ", 0), 0u)
    << r.err().message;
}

TEST(sm_requests, an_unescaped_ampersand_from_python_is_read_literally) {
  // Python's serializer does not escape text: a description "R&D" arrives as
  // "<Description>R&D</Description>". pugixml keeps an '&' that starts no
  // entity as is, so the value the user typed survives.
  auto body = python_doc("CreateHostedService",
                         "<ServiceName>s</ServiceName><Label>" + base64_encode("l")
                           + "</Label><Description>R&D &amp; more</Description><Location>a</Location>");
  auto r = parse_create_hosted_service(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->description, "R&D & more");
  // An unescaped '<' cannot be rescued.
  auto bad = parse_create_hosted_service(python_doc(
    "CreateHostedService", "<ServiceName>s</ServiceName><Label>" + base64_encode("l")
                             + "</Label><Description>a<b</Description><Location>a</Location>"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(to_sm_error(bad.err()).code, "InvalidXmlRequest");
  EXPECT_EQ(to_sm_error(bad.err()).http_status, 400);
}

// -- UpgradeDeployment, WalkUpgradeDomain, ChangeConfiguration ----------------------

TEST(sm_requests, upgrade_deployment_as_python_sends_it) {
  auto body = python_doc("UpgradeDeployment",
                         "<Mode>Manual</Mode><PackageUrl>http://store/v2.cspkg</PackageUrl>"
                         "<Configuration>" + base64_encode(cscfg) + "</Configuration><Label>"
                           + base64_encode("v2") + "</Label><RoleToUpgrade>WebRole1</RoleToUpgrade>"
                           "<Force>true</Force>");
  auto r = parse_upgrade_deployment(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->mode, model::upgrade_mode::manual);
  EXPECT_EQ(r->package_url, "http://store/v2.cspkg");
  EXPECT_EQ(r->label, "v2");
  EXPECT_EQ(r->role_to_upgrade, "WebRole1");
  EXPECT_TRUE(r->force);
  EXPECT_EQ(r->configuration.parsed.roles.at(0).instance_count, 2);
}

TEST(sm_requests, upgrade_deployment_as_node_sends_it_with_defaults) {
  auto body = node_doc("UpgradeDeployment",
                       "<Mode>simultaneous</Mode><PackageUrl>p</PackageUrl><Configuration>"
                         + base64_encode(cscfg) + "</Configuration><Label>" + base64_encode("v2")
                         + "</Label><Force>false</Force>");
  auto r = parse_upgrade_deployment(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->mode, model::upgrade_mode::simultaneous);
  EXPECT_EQ(r->role_to_upgrade, "");
  EXPECT_FALSE(r->force);

  auto no_mode = parse_upgrade_deployment(python_doc(
    "UpgradeDeployment", "<PackageUrl>p</PackageUrl><Configuration>" + base64_encode(cscfg)
                           + "</Configuration><Label>" + base64_encode("v2") + "</Label>"));
  ASSERT_TRUE(no_mode.ok()) << message_of(no_mode);
  EXPECT_EQ(no_mode->mode, model::upgrade_mode::automatic);
  EXPECT_FALSE(no_mode->force);

  EXPECT_EQ(message_of(parse_upgrade_deployment(python_doc(
              "UpgradeDeployment", "<Mode>Fast</Mode><PackageUrl>p</PackageUrl><Configuration>"
                                     + base64_encode(cscfg) + "</Configuration><Label>"
                                     + base64_encode("v2") + "</Label>"))),
            "BadRequest: The value 'Fast' of Mode is not an upgrade mode; use Auto, Manual or "
            "Simultaneous.");
}

TEST(sm_requests, walk_upgrade_domain_reads_a_non_negative_integer) {
  auto r = parse_walk_upgrade_domain(python_doc("WalkUpgradeDomain", "<UpgradeDomain>2</UpgradeDomain>"));
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->upgrade_domain, 2);
  auto n = parse_walk_upgrade_domain(node_doc("WalkUpgradeDomain", "<UpgradeDomain>0</UpgradeDomain>"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->upgrade_domain, 0);
  EXPECT_EQ(message_of(parse_walk_upgrade_domain(
              python_doc("WalkUpgradeDomain", "<UpgradeDomain>-1</UpgradeDomain>"))),
            "BadRequest: The value '-1' of UpgradeDomain is not a non-negative integer.");
  EXPECT_EQ(message_of(parse_walk_upgrade_domain(
              python_doc("WalkUpgradeDomain", "<UpgradeDomain>one</UpgradeDomain>"))),
            "BadRequest: The value 'one' of UpgradeDomain is not a non-negative integer.");
  EXPECT_EQ(message_of(parse_walk_upgrade_domain(
              python_doc("WalkUpgradeDomain", "<UpgradeDomain>99999999999</UpgradeDomain>"))),
            "BadRequest: The value '99999999999' of UpgradeDomain is not a non-negative integer.");
  EXPECT_EQ(message_of(parse_walk_upgrade_domain(python_doc("WalkUpgradeDomain", ""))),
            "BadRequest: The required element UpgradeDomain is missing from <WalkUpgradeDomain>.");
}

TEST(sm_requests, change_configuration_as_python_and_node_send_it) {
  auto py = parse_change_configuration(python_doc(
    "ChangeConfiguration", "<Configuration>" + base64_encode(cscfg)
                             + "</Configuration><TreatWarningsAsError>true</TreatWarningsAsError>"
                               "<Mode>Manual</Mode>"));
  ASSERT_TRUE(py.ok()) << message_of(py);
  EXPECT_TRUE(py->treat_warnings_as_error);
  EXPECT_EQ(py->mode, model::upgrade_mode::manual);
  EXPECT_EQ(py->configuration.text, cscfg);

  auto node = parse_change_configuration(
    node_doc("ChangeConfiguration", "<Configuration>" + base64_encode(cscfg) + "</Configuration>"));
  ASSERT_TRUE(node.ok()) << message_of(node);
  EXPECT_FALSE(node->treat_warnings_as_error);
  EXPECT_EQ(node->mode, model::upgrade_mode::automatic);
}

// -- UpdateDeploymentStatus, Swap, Rollback, RoleInstances ---------------------------

TEST(sm_requests, update_deployment_status_accepts_running_and_suspended_only) {
  auto run = parse_update_deployment_status(
    python_doc("UpdateDeploymentStatus", "<Status>Running</Status>"));
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, model::deployment_status::running);
  auto sus = parse_update_deployment_status(
    node_doc("UpdateDeploymentStatus", "<Status>suspended</Status>"));
  ASSERT_TRUE(sus.ok());
  EXPECT_EQ(sus->status, model::deployment_status::suspended);
  EXPECT_EQ(message_of(parse_update_deployment_status(
              python_doc("UpdateDeploymentStatus", "<Status>Deploying</Status>"))),
            "BadRequest: The value 'Deploying' of Status is not allowed; use Running or "
            "Suspended.");
}

TEST(sm_requests, swap_with_and_without_production) {
  auto py = parse_swap(python_doc(
    "Swap", "<Production>dep-a</Production><SourceDeployment>dep-b</SourceDeployment>"));
  ASSERT_TRUE(py.ok()) << message_of(py);
  EXPECT_EQ(py->production, "dep-a");
  EXPECT_EQ(py->source_deployment, "dep-b");
  auto node = parse_swap(node_doc("Swap", "<SourceDeployment>dep-b</SourceDeployment>"));
  ASSERT_TRUE(node.ok()) << message_of(node);
  EXPECT_EQ(node->production, "");
  EXPECT_EQ(message_of(parse_swap(python_doc("Swap", "<Production>dep-a</Production>"))),
            "BadRequest: The required element SourceDeployment is missing from <Swap>.");
}

TEST(sm_requests, rollback_allows_auto_and_manual) {
  auto r = parse_rollback(
    python_doc("RollbackUpdateOrUpgrade", "<Mode>Manual</Mode><Force>true</Force>"));
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->mode, model::upgrade_mode::manual);
  EXPECT_TRUE(r->force);
  auto n = parse_rollback(node_doc("RollbackUpdateOrUpgrade", "<Mode>Auto</Mode><Force>false</Force>"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->mode, model::upgrade_mode::automatic);
  EXPECT_FALSE(n->force);
  EXPECT_EQ(message_of(parse_rollback(
              python_doc("RollbackUpdateOrUpgrade", "<Mode>Simultaneous</Mode><Force>true</Force>"))),
            "BadRequest: The value 'Simultaneous' of Mode is not an upgrade mode; use Auto or "
            "Manual.");
}

TEST(sm_requests, delete_role_instances_with_pythons_stray_space_in_the_root_name) {
  // Python's role_instances_to_xml passes 'RoleInstances ' as the root name.
  std::string body = R"(<RoleInstances  xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/windowsazure">)"
                     "<Name>WebRole1_IN_0</Name><Name>WebRole1_IN_2</Name></RoleInstances >";
  auto r = parse_delete_role_instances(body);
  ASSERT_TRUE(r.ok()) << message_of(r);
  EXPECT_EQ(r->names, (std::vector<std::string>{"WebRole1_IN_0", "WebRole1_IN_2"}));

  EXPECT_EQ(message_of(parse_delete_role_instances(node_doc("RoleInstances", ""))),
            "BadRequest: RoleInstances lists no Name; at least one role instance is required.");
  EXPECT_EQ(message_of(parse_delete_role_instances(
              node_doc("RoleInstances", "<Name>A_IN_0</Name><Name>A_IN_0</Name>"))),
            "BadRequest: The role instance 'A_IN_0' is listed twice.");
  EXPECT_EQ(message_of(parse_delete_role_instances(node_doc("RoleInstances", "<Name> </Name>"))),
            "BadRequest: A Name element of RoleInstances is empty.");
}
