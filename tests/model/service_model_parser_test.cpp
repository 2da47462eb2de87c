// The service model parser on the real .csdef/.cscfg pairs in
// tests/data/service-models, on the hand-made edge cases in tests/data/edge,
// and on bad input (each bad-input test asserts the message and, where the
// parser gives one, the line).

#include "model/service_model_parser.hpp"
#include "model/xml_text.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

using namespace fabric;
using namespace fabric::model;
using namespace std::string_literals;

namespace {

const std::string models = FABRIC_TEST_DATA "/service-models/";
const std::string edge = FABRIC_TEST_DATA "/edge/";

std::string read_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

service_definition definition_ok(const std::string& path) {
  auto def = load_service_definition(path);
  EXPECT_TRUE(def.ok()) << (def ? "" : def.err().to_string());
  return def ? *def : service_definition{};
}

service_configuration configuration_ok(const std::string& path) {
  auto cfg = load_service_configuration(path);
  EXPECT_TRUE(cfg.ok()) << (cfg ? "" : cfg.err().to_string());
  return cfg ? *cfg : service_configuration{};
}

/// The error of parsing `xml` as a .csdef named "bad.csdef"; fails the test
/// when it parses.
error definition_error(std::string_view xml) {
  auto def = parse_service_definition(xml, "bad.csdef");
  EXPECT_FALSE(def.ok()) << "expected an error";
  return def ? error{} : def.err();
}

error configuration_error(std::string_view xml) {
  auto cfg = parse_service_configuration(xml, "bad.cscfg");
  EXPECT_FALSE(cfg.ok()) << "expected an error";
  return cfg ? error{} : cfg.err();
}

constexpr const char* def_ns =
  R"(xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition")";

} // namespace

// -- the real pairs --------------------------------------------------------------

TEST(ServiceModelRealSamples, InternalLoadBalancerSample) {
  auto prefix = models + "Azure-Samples__cloud-services-dotnet-internal-load-balancer__CSharp__"
                         "ilbsample__";
  auto def = definition_ok(prefix + "ServiceDefinition.csdef");
  auto cfg = configuration_ok(prefix + "ServiceConfiguration.Cloud.cscfg");
  EXPECT_EQ(def.name, "ilbsample");
  EXPECT_EQ(def.upgrade_domain_count, 5); // absent: the platform default
  ASSERT_EQ(def.roles.size(), 2u);
  const auto& web = def.roles[0];
  EXPECT_EQ(web.name, "WebRole1");
  EXPECT_EQ(web.kind, role_kind::web);
  EXPECT_EQ(web.vm_size, "Small");
  ASSERT_EQ(web.endpoints.size(), 2u);
  EXPECT_EQ(web.endpoints[0].name, "Endpoint1");
  EXPECT_EQ(web.endpoints[0].kind, endpoint_kind::input);
  EXPECT_EQ(web.endpoints[0].protocol, "http");
  EXPECT_EQ(web.endpoints[0].port, 80);
  EXPECT_EQ(web.endpoints[0].local_port, 0);
  ASSERT_NE(web.find_endpoint("Endpoint2"), nullptr);
  EXPECT_EQ(web.find_endpoint("Endpoint2")->port, 8080);
  EXPECT_EQ(web.settings,
            std::vector<std::string>{"Microsoft.WindowsAzure.Plugins.Diagnostics.ConnectionString"});
  EXPECT_EQ(web.imports, std::vector<std::string>{"RemoteAccess"});
  EXPECT_TRUE(web.local_storage.empty());
  const auto& worker = def.roles[1];
  EXPECT_EQ(worker.name, "WorkerRole1");
  EXPECT_EQ(worker.kind, role_kind::worker);
  EXPECT_TRUE(worker.endpoints.empty());
  EXPECT_EQ(worker.imports, (std::vector<std::string>{"RemoteAccess", "RemoteForwarder"}));

  EXPECT_EQ(cfg.service_name, "ilbsample");
  EXPECT_EQ(cfg.os_family, "4");
  EXPECT_EQ(cfg.os_version, "*");
  ASSERT_EQ(cfg.roles.size(), 2u);
  EXPECT_EQ(cfg.find_role("WebRole1")->instance_count, 2);
  EXPECT_EQ(cfg.find_role("WorkerRole1")->instance_count, 1);
  EXPECT_EQ(cfg.find_role("WebRole1")->settings.size(), 5u);
  EXPECT_EQ(cfg.find_role("WorkerRole1")->settings.size(), 6u);
  EXPECT_EQ(cfg.find_role("WebRole1")->settings.at(
              "Microsoft.WindowsAzure.Plugins.RemoteAccess.AccountUsername"),
            "ice");
  ASSERT_EQ(cfg.find_role("WebRole1")->certificates.size(), 1u);
  EXPECT_EQ(cfg.find_role("WebRole1")->certificates[0].thumbprint,
            "D2C10F33F58A558E80A8099FC101AFA4FBE01423");
  EXPECT_EQ(cfg.find_role("WebRole1")->certificates[0].thumbprint_algorithm, "sha1");

  auto errors = check_pair(def, cfg);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
}

TEST(ServiceModelRealSamples, MultipleWebsitesSample) {
  auto prefix = models + "Azure-Samples__cloud-services-dotnet-multiple-websites-in-one-webrole__"
                         "CSharp__MultiWebsitesOneWebRole__MultiWebsitesOneWebRole__";
  auto def = definition_ok(prefix + "ServiceDefinition.csdef");
  auto cfg = configuration_ok(prefix + "ServiceConfiguration.Cloud.cscfg");
  EXPECT_EQ(def.name, "MultiWebsitesOneWebRole");
  EXPECT_EQ(def.upgrade_domain_count, 5);
  ASSERT_EQ(def.roles.size(), 1u);
  EXPECT_EQ(def.roles[0].name, "WebRole1");
  EXPECT_EQ(def.roles[0].kind, role_kind::web);
  ASSERT_EQ(def.roles[0].endpoints.size(), 1u);
  EXPECT_EQ(def.roles[0].endpoints[0].name, "Endpoint1");
  EXPECT_EQ(def.roles[0].endpoints[0].port, 80);
  ASSERT_EQ(cfg.roles.size(), 1u);
  EXPECT_EQ(cfg.roles[0].instance_count, 1);
  EXPECT_EQ(cfg.roles[0].settings.at("Microsoft.WindowsAzure.Plugins.Diagnostics.ConnectionString"),
            "UseDevelopmentStorage=true");
  EXPECT_TRUE(validate_pair(def, cfg).ok());
}

TEST(ServiceModelRealSamples, AzureWebFarmSample) {
  auto prefix = models + "MRCollective__AzureWebFarm__AzureWebFarm.Example.Cloud__";
  auto def = definition_ok(prefix + "ServiceDefinition.csdef");
  auto cfg = configuration_ok(prefix + "ServiceConfiguration.Cloud.cscfg");
  EXPECT_EQ(def.name, "AzureWebFarm.Example.Cloud");
  EXPECT_EQ(def.upgrade_domain_count, 5);
  ASSERT_EQ(def.roles.size(), 1u);
  const auto& web = def.roles[0];
  EXPECT_EQ(web.name, "AzureWebFarm.Example.Web");
  EXPECT_EQ(web.kind, role_kind::web);
  EXPECT_EQ(web.vm_size, "Small");
  ASSERT_EQ(web.endpoints.size(), 4u);
  const auto* https = web.find_endpoint("HttpsIn");
  ASSERT_NE(https, nullptr);
  EXPECT_EQ(https->kind, endpoint_kind::input);
  EXPECT_EQ(https->protocol, "https");
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->local_port, 443);
  const auto* deploy = web.find_endpoint("Microsoft.WindowsAzure.Plugins.WebDeploy.InputEndpoint");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ(deploy->protocol, "tcp");
  EXPECT_EQ(deploy->port, 8172);
  const auto* internal = web.find_endpoint("UnusedInternal");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(internal->kind, endpoint_kind::internal);
  EXPECT_EQ(internal->port, 88);
  ASSERT_EQ(web.local_storage.size(), 4u);
  EXPECT_EQ(web.local_storage[0].name, "Sites");
  EXPECT_EQ(web.local_storage[0].size_mb, 2500);
  EXPECT_TRUE(web.local_storage[0].clean_on_role_recycle);
  ASSERT_NE(web.find_local_storage("Config"), nullptr);
  EXPECT_EQ(web.find_local_storage("Config")->size_mb, 10);
  EXPECT_EQ(web.find_local_storage("Missing"), nullptr);
  EXPECT_EQ(web.settings.size(), 5u);
  EXPECT_EQ(web.certificates, std::vector<std::string>{"HTTPS"});
  EXPECT_EQ(web.imports.size(), 4u);

  EXPECT_EQ(cfg.service_name, "AzureWebFarm.Example.Cloud");
  EXPECT_EQ(cfg.os_family, "3");
  ASSERT_EQ(cfg.roles.size(), 1u);
  EXPECT_EQ(cfg.roles[0].instance_count, 2);
  EXPECT_EQ(cfg.roles[0].settings.size(), 11u);
  EXPECT_EQ(cfg.roles[0].settings.at("SyncIntervalInSeconds"), "60");
  ASSERT_EQ(cfg.roles[0].certificates.size(), 2u);
  EXPECT_EQ(cfg.roles[0].certificates[1].name, "HTTPS");
  EXPECT_EQ(cfg.roles[0].certificates[1].thumbprint, "B6E8A99CB3B0174C053DAF5A48DACB504C5889EC");

  auto errors = check_pair(def, cfg);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
}

TEST(ServiceModelRealSamples, LokadCloudSampleWithUtf16Configuration) {
  auto prefix = models + "cdrnet__lokad-cloud__Source__Lokad.Cloud__";
  auto def = definition_ok(prefix + "ServiceDefinition.csdef");
  auto cfg = configuration_ok(prefix + "ServiceConfiguration.cscfg");
  EXPECT_EQ(def.name, "Lokad.Cloud");
  EXPECT_EQ(def.upgrade_domain_count, 1);
  ASSERT_EQ(def.roles.size(), 2u);
  const auto& web = def.roles[0];
  EXPECT_EQ(web.name, "Lokad.Cloud.WebRole");
  EXPECT_EQ(web.kind, role_kind::web);
  EXPECT_EQ(web.vm_size, "Small"); // no vmsize attribute
  ASSERT_EQ(web.endpoints.size(), 1u); // the commented-out HttpsIn is not read
  EXPECT_EQ(web.endpoints[0].name, "HttpIn");
  EXPECT_EQ(web.endpoints[0].kind, endpoint_kind::input);
  EXPECT_EQ(web.endpoints[0].port, 80);
  ASSERT_EQ(web.local_storage.size(), 1u);
  EXPECT_EQ(web.local_storage[0].name, "LocalCacheStorage");
  EXPECT_EQ(web.local_storage[0].size_mb, 1024);
  EXPECT_EQ(web.settings.size(), 5u);
  EXPECT_EQ(web.certificates, std::vector<std::string>{"SelfManagement"});
  const auto& worker = def.roles[1];
  EXPECT_EQ(worker.name, "Lokad.Cloud.WorkerRole");
  EXPECT_EQ(worker.kind, role_kind::worker);
  ASSERT_EQ(worker.local_storage.size(), 2u);
  EXPECT_EQ(worker.local_storage[0].name, "LokadCloudStorage");
  EXPECT_EQ(worker.local_storage[0].size_mb, 2);

  EXPECT_EQ(cfg.service_name, "Lokad.Cloud");
  EXPECT_EQ(cfg.os_version, "*");
  EXPECT_EQ(cfg.os_family, "");
  ASSERT_EQ(cfg.roles.size(), 2u);
  EXPECT_EQ(cfg.roles[0].name, "Lokad.Cloud.WebRole");
  EXPECT_EQ(cfg.roles[0].instance_count, 1);
  EXPECT_EQ(cfg.roles[1].instance_count, 1);
  EXPECT_EQ(cfg.roles[0].settings.at("Admins"), "http://yourname.example.com/");
  EXPECT_EQ(cfg.roles[1].certificates[0].thumbprint, "YOUR CERTIFICATE THUMBPRINT");

  auto errors = check_pair(def, cfg);
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
}

// -- hand-made edge cases ---------------------------------------------------------

TEST(ServiceModelParser, ReadsPre2011EndpointWrappersWithPrefixedNamespace) {
  auto def = definition_ok(edge + "pre2011-wrappers.csdef");
  EXPECT_EQ(def.upgrade_domain_count, 2);
  ASSERT_EQ(def.roles.size(), 2u);
  const auto& front = def.roles[0];
  EXPECT_EQ(front.vm_size, "Medium");
  ASSERT_EQ(front.endpoints.size(), 2u);
  EXPECT_EQ(front.endpoints[0].kind, endpoint_kind::input);
  EXPECT_EQ(front.endpoints[0].port, 80);
  EXPECT_EQ(front.endpoints[1].name, "Gossip");
  EXPECT_EQ(front.endpoints[1].kind, endpoint_kind::internal);
  EXPECT_EQ(front.endpoints[1].port, 0);
  const auto& back = def.roles[1];
  EXPECT_EQ(back.kind, role_kind::worker);
  ASSERT_EQ(back.endpoints.size(), 1u);
  EXPECT_EQ(back.endpoints[0].port, 9000); // from <FixedPort>
  ASSERT_EQ(back.local_storage.size(), 2u);
  EXPECT_EQ(back.local_storage[0].size_mb, 512);
  EXPECT_FALSE(back.local_storage[0].clean_on_role_recycle);
  EXPECT_EQ(back.local_storage[1].size_mb, 100); // sizeInMB absent
  EXPECT_TRUE(back.local_storage[1].clean_on_role_recycle);
}

TEST(ServiceModelParser, ReadsEndpointsWrapperWithInstanceInputAndIgnoresUnknowns) {
  auto def = definition_ok(edge + "endpoints-wrapper.csdef");
  ASSERT_EQ(def.roles.size(), 2u);
  const auto& lobby = def.roles[0];
  EXPECT_EQ(lobby.vm_size, "Large");
  ASSERT_EQ(lobby.endpoints.size(), 3u); // <FutureEndpoint> is not an endpoint kind
  EXPECT_EQ(lobby.endpoints[0].local_port, 8080);
  EXPECT_EQ(lobby.endpoints[1].kind, endpoint_kind::internal);
  EXPECT_EQ(lobby.endpoints[1].port, 0); // port="*"
  const auto& direct = lobby.endpoints[2];
  EXPECT_EQ(direct.name, "Direct");
  EXPECT_EQ(direct.kind, endpoint_kind::instance_input);
  EXPECT_EQ(direct.local_port, 10100);
  EXPECT_EQ(direct.port_range_min, 10016);
  EXPECT_EQ(direct.port_range_max, 10020);
  EXPECT_EQ(def.roles[1].name, "Legacy.Vm");
  EXPECT_EQ(def.roles[1].kind, role_kind::virtual_machine);
  EXPECT_EQ(def.roles[1].vm_size, "ExtraLarge");
}

TEST(ServiceModelParser, MatchesElementsWithAnyNamespaceOrNone) {
  const std::string body = R"(<WorkerRole name="W"><LocalResources>)"
                           R"(<LocalStorage name="S" sizeInMB="7"/></LocalResources></WorkerRole>)";
  for (const std::string& doc :
       {"<ServiceDefinition>" + body + "</ServiceDefinition>",
        "<ServiceDefinition "s + def_ns + ">" + body + "</ServiceDefinition>",
        // the configuration namespace by mistake still reads
        R"(<ServiceDefinition xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">)"
          + body + "</ServiceDefinition>"}) {
    auto def = parse_service_definition(doc, "ns.csdef");
    ASSERT_TRUE(def.ok()) << doc << ": " << def.err().to_string();
    ASSERT_EQ(def->roles.size(), 1u);
    EXPECT_EQ(def->roles[0].local_storage.at(0).size_mb, 7);
  }
  auto cfg = parse_service_configuration(
    R"(<c:ServiceConfiguration xmlns:c="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">)"
    R"(<c:Role name="W"><c:Instances count="3"/></c:Role></c:ServiceConfiguration>)",
    "ns.cscfg");
  ASSERT_TRUE(cfg.ok()) << cfg.err().to_string();
  EXPECT_EQ(cfg->roles.at(0).instance_count, 3);
}

TEST(ServiceModelParser, ReadsUtf8WithoutBom) {
  auto cfg = configuration_ok(edge + "utf8-no-bom.cscfg");
  EXPECT_EQ(cfg.service_name, "Caf\xC3\xA9");
  EXPECT_EQ(cfg.roles.at(0).instance_count, 3);
  EXPECT_EQ(cfg.roles.at(0).settings.at("Greeting"),
            "Gr\xC3\xBC\xC3\x9F" "e, \xE4\xB8\x96\xE7\x95\x8C");
}

TEST(ServiceModelParser, ReadsUtf16LittleEndianWithBom) {
  auto bytes = read_bytes(edge + "utf16le-bom.cscfg");
  ASSERT_EQ(bytes.substr(0, 2), "\xFF\xFE");
  auto cfg = parse_service_configuration(bytes, "utf16le-bom.cscfg");
  ASSERT_TRUE(cfg.ok()) << cfg.err().to_string();
  EXPECT_EQ(cfg->service_name, "Wide");
  EXPECT_EQ(cfg->roles.at(0).instance_count, 4);
  EXPECT_EQ(cfg->roles.at(0).settings.at("Name"), "Zo\xC3\xAB");
}

TEST(ServiceModelParser, ReadsUtf16BigEndianWithBom) {
  std::string text = "<ServiceConfiguration>\n<Role name=\"R\"><Instances count=\"2\"/></Role>\n"
                     "</ServiceConfiguration>";
  std::string bytes = "\xFE\xFF";
  for (char c : text) {
    bytes += '\0';
    bytes += c;
  }
  auto decoded = decode_xml_text(bytes, "be.cscfg");
  ASSERT_TRUE(decoded.ok()) << decoded.err().to_string();
  EXPECT_EQ(decoded->encoding, text_encoding::utf16be);
  EXPECT_EQ(decoded->utf8, text);
  auto cfg = parse_service_configuration(bytes, "be.cscfg");
  ASSERT_TRUE(cfg.ok()) << cfg.err().to_string();
  EXPECT_EQ(cfg->roles.at(0).instance_count, 2);
}

TEST(ServiceModelParser, DecodesSurrogatePairsAndDetectsEncodings) {
  // U+1F600 as a UTF-16LE surrogate pair after a BOM.
  auto decoded = decode_xml_text("\xFF\xFE<\0\x3D\xD8\x00\xDE"s, "x");
  ASSERT_TRUE(decoded.ok()) << decoded.err().to_string();
  EXPECT_EQ(decoded->utf8, "<\xF0\x9F\x98\x80");
  EXPECT_EQ(decode_xml_text("\xEF\xBB\xBF<a/>", "x")->encoding, text_encoding::utf8_bom);
  EXPECT_EQ(decode_xml_text("\xEF\xBB\xBF<a/>", "x")->utf8, "<a/>");
  EXPECT_EQ(decode_xml_text("<a/>", "x")->encoding, text_encoding::utf8);
  EXPECT_EQ(decode_xml_text("<\0a\0/\0>\0"s, "x")->encoding, text_encoding::utf16le);
}

TEST(ServiceModelParser, AppliesPlatformDefaults) {
  auto def = parse_service_definition(
    R"(<ServiceDefinition><WebRole name="W"><LocalResources><LocalStorage name="L"/>)"
    R"(</LocalResources></WebRole></ServiceDefinition>)",
    "d.csdef");
  ASSERT_TRUE(def.ok()) << def.err().to_string();
  EXPECT_EQ(def->upgrade_domain_count, 5);
  EXPECT_EQ(def->roles[0].vm_size, "Small");
  EXPECT_TRUE(def->roles[0].local_storage[0].clean_on_role_recycle);
  EXPECT_EQ(def->roles[0].local_storage[0].size_mb, 100);
}

TEST(ServiceModelParser, AcceptsUpgradeDomainCountBounds) {
  for (int n : {1, 20}) {
    auto def = parse_service_definition("<ServiceDefinition upgradeDomainCount=\""
                                          + std::to_string(n)
                                          + "\"><WorkerRole name=\"W\"/></ServiceDefinition>",
                                        "d.csdef");
    ASSERT_TRUE(def.ok()) << def.err().to_string();
    EXPECT_EQ(def->upgrade_domain_count, n);
  }
}

TEST(ServiceModelParser, NamesAndFinders) {
  EXPECT_STREQ(to_string(role_kind::web), "WebRole");
  EXPECT_STREQ(to_string(role_kind::worker), "WorkerRole");
  EXPECT_STREQ(to_string(role_kind::virtual_machine), "VirtualMachineRole");
  EXPECT_STREQ(to_string(endpoint_kind::input), "input");
  EXPECT_STREQ(to_string(endpoint_kind::internal), "internal");
  EXPECT_STREQ(to_string(endpoint_kind::instance_input), "instance-input");
  service_configuration cfg;
  cfg.roles.push_back(role_configuration{});
  cfg.roles[0].name = "A";
  ASSERT_NE(cfg.find_role("A"), nullptr);
  cfg.find_role("A")->instance_count = 9;
  EXPECT_EQ(std::as_const(cfg).find_role("A")->instance_count, 9);
  EXPECT_EQ(cfg.find_role("B"), nullptr);
  service_definition def;
  EXPECT_EQ(def.find_role("A"), nullptr);
}

// -- bad input: text ----------------------------------------------------------------

TEST(ServiceModelBadInput, EmptyFile) {
  auto err = definition_error("");
  EXPECT_EQ(err.file, "bad.csdef");
  EXPECT_EQ(err.message, "the file is empty; expected an XML document");
  EXPECT_EQ(err.to_string(), "bad.csdef: the file is empty; expected an XML document");
}

TEST(ServiceModelBadInput, BomOrWhitespaceOnlyIsEmpty) {
  for (std::string_view bytes : {"\xEF\xBB\xBF", "  \r\n\t", "\xFF\xFE"}) {
    auto err = configuration_error(bytes);
    EXPECT_NE(err.message.find("the file is empty"), std::string::npos) << err.message;
  }
}

TEST(ServiceModelBadInput, NulByteIsBinary) {
  auto err = definition_error("<ServiceDefinition>\n<WebRole\0 name=\"x\"/>"s);
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.message,
            "binary data, not text: NUL byte at offset 28; expected an XML document in UTF-8 "
            "(with or without BOM) or UTF-16 with a BOM");
}

TEST(ServiceModelBadInput, RandomBinaryIsRefused) {
  auto err = definition_error("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"s);
  EXPECT_NE(err.message.find("invalid UTF-8 byte sequence at offset 0"), std::string::npos)
    << err.message;
  EXPECT_EQ(err.line, 1);
}

TEST(ServiceModelBadInput, InvalidUtf8) {
  // 0xC3 0x28 is a broken two-byte sequence; overlong and surrogate forms too.
  for (std::string_view bad : {"\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF8\x88\x80\x80"}) {
    auto err = definition_error("<ServiceDefinition>\n\n<!-- " + std::string{bad} + " -->");
    EXPECT_EQ(err.line, 3);
    EXPECT_NE(err.message.find("invalid UTF-8 byte sequence at offset 26"), std::string::npos)
      << err.message;
  }
}

TEST(ServiceModelBadInput, InvalidUtf16) {
  auto odd = configuration_error("\xFF\xFE<\0a"s);
  EXPECT_NE(odd.message.find("UTF-16 text with an odd number of bytes (5)"), std::string::npos)
    << odd.message;
  auto lone = configuration_error("\xFF\xFE<\0\n\0\x00\xDC"s);
  EXPECT_EQ(lone.line, 2);
  EXPECT_NE(lone.message.find("invalid UTF-16: unpaired surrogate at byte offset 6"),
            std::string::npos)
    << lone.message;
  auto nul = configuration_error("\xFF\xFE<\0\0\0"s);
  EXPECT_NE(nul.message.find("binary data, not text: U+0000"), std::string::npos) << nul.message;
}

TEST(ServiceModelBadInput, LineOfOffset) {
  EXPECT_EQ(line_of_offset("a\nb\nc", 0), 1);
  EXPECT_EQ(line_of_offset("a\nb\nc", 2), 2);
  EXPECT_EQ(line_of_offset("a\nb\nc", 4), 3);
  EXPECT_EQ(line_of_offset("a\nb\nc", 99), 3);
}

// -- bad input: XML -----------------------------------------------------------------

TEST(ServiceModelBadInput, MalformedXmlGivesPugixmlDescriptionAndLine) {
  auto err = definition_error("<ServiceDefinition>\n  <WebRole name=\"W\">\n  </WorkerRole>\n"
                              "</ServiceDefinition>\n");
  EXPECT_EQ(err.line, 3);
  EXPECT_EQ(err.message, "malformed XML: Start-end tags mismatch (column 5)");
  EXPECT_EQ(err.to_string(), "bad.csdef:3: malformed XML: Start-end tags mismatch (column 5)");
}

TEST(ServiceModelBadInput, MalformedXmlInUtf16HasTheFileLine) {
  std::string text = "<ServiceConfiguration>\r\n<Role name=\"R\">\r\n<Instances count=2/>";
  std::string bytes = "\xFF\xFE";
  for (char c : text) {
    bytes += c;
    bytes += '\0';
  }
  auto err = configuration_error(bytes);
  EXPECT_EQ(err.line, 3);
  EXPECT_EQ(err.message, "malformed XML: Error parsing element attribute (column 18)");
}

TEST(ServiceModelBadInput, TextWithoutElement) {
  auto err = definition_error("<?xml version=\"1.0\"?>\n<!-- nothing -->\n");
  EXPECT_NE(err.message.find("no XML element found; expected a <ServiceDefinition> document"),
            std::string::npos)
    << err.message;
}

TEST(ServiceModelBadInput, WrongRootElement) {
  auto err = definition_error("<?xml version=\"1.0\"?>\n<ServiceConfiguration>"
                              "<Role name=\"R\"/></ServiceConfiguration>");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.message, "wrong root element <ServiceConfiguration>; expected <ServiceDefinition> "
                         "(this file is a service configuration (.cscfg))");
  auto other = configuration_error("<Project/>");
  EXPECT_EQ(other.message, "wrong root element <Project>; expected <ServiceConfiguration>");
  auto swapped = configuration_error("<ServiceDefinition/>");
  EXPECT_EQ(swapped.message, "wrong root element <ServiceDefinition>; expected "
                             "<ServiceConfiguration> (this file is a service definition (.csdef))");
}

TEST(ServiceModelBadInput, NoRole) {
  auto err = definition_error("<ServiceDefinition name=\"S\"><Unrelated/></ServiceDefinition>");
  EXPECT_EQ(err.message, "the service definition has no role; allowed: one or more <WebRole>, "
                         "<WorkerRole> or <VirtualMachineRole> elements");
  auto cfg = configuration_error("<ServiceConfiguration/>");
  EXPECT_EQ(cfg.message,
            "the service configuration has no role; allowed: one or more <Role> elements");
}

// -- bad input: values --------------------------------------------------------------

TEST(ServiceModelBadInput, UpgradeDomainCountNotAnInteger) {
  for (std::string value : {"five", "2.5", "", "3x"}) {
    auto err = definition_error("<ServiceDefinition\n upgradeDomainCount=\"" + value
                                + "\">\n<WebRole name=\"W\"/></ServiceDefinition>");
    EXPECT_EQ(err.line, 1);
    EXPECT_EQ(err.message, "upgradeDomainCount=\"" + value
                             + "\" is not an integer; allowed: an integer from 1 to 20 "
                               "(default 5 when absent)");
  }
}

TEST(ServiceModelBadInput, UpgradeDomainCountOutOfRange) {
  for (std::string value : {"0", "21", "-3", "99999999999999999999999"}) {
    auto err = definition_error("\n<ServiceDefinition upgradeDomainCount=\"" + value
                                + "\"><WebRole name=\"W\"/></ServiceDefinition>");
    EXPECT_EQ(err.line, 2);
    EXPECT_EQ(err.message, "upgradeDomainCount=\"" + value
                             + "\" is out of range; allowed: an integer from 1 to 20 "
                               "(default 5 when absent)");
  }
}

TEST(ServiceModelBadInput, InstancesCountMissing) {
  auto err = configuration_error("<ServiceConfiguration>\n<Role name=\"R\">\n<Instances/>\n"
                                 "</Role></ServiceConfiguration>");
  EXPECT_EQ(err.line, 3);
  EXPECT_EQ(err.message,
            "role \"R\": <Instances> has no count attribute; allowed: an integer of at least 1");
  auto no_element = configuration_error("<ServiceConfiguration>\n<Role name=\"R\">\n"
                                        "</Role></ServiceConfiguration>");
  EXPECT_EQ(no_element.line, 2);
  EXPECT_EQ(no_element.message, "role \"R\": no <Instances count=\"..\"/> element; every role "
                                "needs an instance count of at least 1");
}

TEST(ServiceModelBadInput, InstancesCountNotAnInteger) {
  auto err = configuration_error("<ServiceConfiguration><Role name=\"R\">\n"
                                 "<Instances count=\"two\"/></Role></ServiceConfiguration>");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.message,
            "role \"R\": Instances count=\"two\" is not an integer; allowed: an integer of at "
            "least 1");
}

TEST(ServiceModelBadInput, InstancesCountBelowOne) {
  for (std::string value : {"0", "-1"}) {
    auto err = configuration_error("<ServiceConfiguration><Role name=\"R\">\n\n<Instances count=\""
                                   + value + "\"/></Role></ServiceConfiguration>");
    EXPECT_EQ(err.line, 3);
    EXPECT_EQ(err.message, "role \"R\": Instances count=\"" + value
                             + "\" is below 1; allowed: an integer of at least 1");
  }
}

TEST(ServiceModelBadInput, DuplicateRoleNames) {
  auto def = definition_error("<ServiceDefinition>\n<WebRole name=\"A\"/>\n"
                              "<WorkerRole name=\"A\"/></ServiceDefinition>");
  EXPECT_EQ(def.line, 3);
  EXPECT_EQ(def.message,
            "duplicate role name \"A\" (first on line 2); role names must be unique");
  auto cfg = configuration_error(
    "<ServiceConfiguration>\n<Role name=\"A\"><Instances count=\"1\"/></Role>\n\n"
    "<Role name=\"A\"><Instances count=\"1\"/></Role></ServiceConfiguration>");
  EXPECT_EQ(cfg.line, 4);
  EXPECT_EQ(cfg.message,
            "duplicate role name \"A\" (first on line 2); role names must be unique");
}

TEST(ServiceModelBadInput, LocalStorageSizeNotAPositiveInteger) {
  for (std::string value : {"0", "-5", "1.5", "big", ""}) {
    auto err = definition_error("<ServiceDefinition><WorkerRole name=\"W\"><LocalResources>\n"
                                "<LocalStorage name=\"L\" sizeInMB=\""
                                + value + "\"/></LocalResources></WorkerRole></ServiceDefinition>");
    EXPECT_EQ(err.line, 2);
    EXPECT_EQ(err.message, "role \"W\": LocalStorage \"L\": sizeInMB=\"" + value
                             + "\" is not a positive integer; allowed: a whole number of "
                               "megabytes, at least 1");
  }
}

TEST(ServiceModelBadInput, RoleWithoutName) {
  auto def = definition_error("<ServiceDefinition>\n<WebRole vmsize=\"Small\"/></ServiceDefinition>");
  EXPECT_EQ(def.line, 2);
  EXPECT_EQ(def.message, "<WebRole> has no name attribute; every role needs a unique name");
  auto cfg = configuration_error(
    "<ServiceConfiguration>\n\n<Role name=\"\"><Instances count=\"1\"/></Role></ServiceConfiguration>");
  EXPECT_EQ(cfg.line, 3);
  EXPECT_EQ(cfg.message, "<Role> has no name attribute; every role needs a unique name");
}

TEST(ServiceModelBadInput, SettingWithoutName) {
  auto def = definition_error("<ServiceDefinition><WorkerRole name=\"W\"><ConfigurationSettings>\n"
                              "<Setting/></ConfigurationSettings></WorkerRole></ServiceDefinition>");
  EXPECT_EQ(def.line, 2);
  EXPECT_EQ(def.message, "role \"W\": <Setting> has no name attribute; every setting needs a name");
  auto cfg = configuration_error(
    "<ServiceConfiguration><Role name=\"R\"><Instances count=\"1\"/><ConfigurationSettings>\n"
    "<Setting value=\"v\"/></ConfigurationSettings></Role></ServiceConfiguration>");
  EXPECT_EQ(cfg.line, 2);
  EXPECT_EQ(cfg.message, "role \"R\": <Setting> has no name attribute; every setting needs a name");
}

TEST(ServiceModelBadInput, SettingWithoutValueAttribute) {
  auto err = configuration_error(
    "<ServiceConfiguration><Role name=\"R\"><Instances count=\"1\"/><ConfigurationSettings>\n"
    "<Setting name=\"S\"/></ConfigurationSettings></Role></ServiceConfiguration>");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.message,
            "role \"R\": setting \"S\" has no value attribute; write value=\"\" for an empty value");
}

TEST(ServiceModelBadInput, BadPortsAndRanges) {
  auto port = definition_error("<ServiceDefinition><WebRole name=\"W\"><Endpoints>\n"
                               "<InputEndpoint name=\"E\" protocol=\"http\" port=\"70000\"/>"
                               "</Endpoints></WebRole></ServiceDefinition>");
  EXPECT_EQ(port.line, 2);
  EXPECT_EQ(port.message, "role \"W\": endpoint \"E\": port=\"70000\" is not a port number; "
                          "allowed: an integer from 1 to 65535, or \"*\"");
  auto range = definition_error(
    "<ServiceDefinition><WebRole name=\"W\"><Endpoints>\n"
    "<InstanceInputEndpoint name=\"I\" protocol=\"tcp\" localPort=\"10\">"
    "<AllocatePublicPortFrom>\n<FixedPortRange min=\"20\" max=\"10\"/></AllocatePublicPortFrom>"
    "</InstanceInputEndpoint></Endpoints></WebRole></ServiceDefinition>");
  EXPECT_EQ(range.line, 3);
  EXPECT_EQ(range.message, "role \"W\": endpoint \"I\": FixedPortRange min=\"20\" max=\"10\" is "
                           "not a port range; allowed: 1 <= min <= max <= 65535");
  auto missing = definition_error(
    "<ServiceDefinition><WebRole name=\"W\"><Endpoints>\n"
    "<InstanceInputEndpoint name=\"I\" protocol=\"tcp\" localPort=\"10\"/>"
    "</Endpoints></WebRole></ServiceDefinition>");
  EXPECT_EQ(missing.line, 2);
  EXPECT_NE(missing.message.find("InstanceInputEndpoint has no AllocatePublicPortFrom/FixedPortRange"),
            std::string::npos)
    << missing.message;
}

TEST(ServiceModelBadInput, DuplicateNamesInsideARole) {
  auto ep = definition_error("<ServiceDefinition><WebRole name=\"W\">\n<InputEndpoints>"
                             "<InputEndpoint name=\"E\" protocol=\"http\" port=\"80\"/>"
                             "</InputEndpoints>\n<Endpoints><InternalEndpoint name=\"E\" "
                             "protocol=\"tcp\"/></Endpoints></WebRole></ServiceDefinition>");
  EXPECT_EQ(ep.line, 3);
  EXPECT_EQ(ep.message, "role \"W\": duplicate endpoint name \"E\" (first on line 2); endpoint "
                        "names must be unique within a role");
  auto setting = configuration_error(
    "<ServiceConfiguration><Role name=\"R\"><Instances count=\"1\"/><ConfigurationSettings>"
    "<Setting name=\"S\" value=\"1\"/>\n<Setting name=\"S\" value=\"2\"/>"
    "</ConfigurationSettings></Role></ServiceConfiguration>");
  EXPECT_EQ(setting.line, 2);
  EXPECT_EQ(setting.message,
            "role \"R\": duplicate setting \"S\"; setting names must be unique within a role");
}

TEST(ServiceModelBadInput, BadBoolean) {
  auto err = definition_error("<ServiceDefinition><WorkerRole name=\"W\"><LocalResources>"
                              "<LocalStorage name=\"L\" sizeInMB=\"1\" cleanOnRoleRecycle=\"yes\"/>"
                              "</LocalResources></WorkerRole></ServiceDefinition>");
  EXPECT_EQ(err.message, "role \"W\": LocalStorage \"L\": cleanOnRoleRecycle=\"yes\" is not a "
                         "boolean; allowed: true or false");
}

TEST(ServiceModelBadInput, UnreadableFile) {
  auto def = load_service_definition(edge + "does-not-exist.csdef");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.err().file, edge + "does-not-exist.csdef");
  EXPECT_EQ(def.err().message, "cannot open the file for reading");
}

TEST(ServiceModelBadInput, TruncatedRealFilesNeverParse) {
  // Every prefix of a real file either fails with a message or (only the
  // whole file) parses: no crash, no partial result.
  auto bytes = read_bytes(models + "cdrnet__lokad-cloud__Source__Lokad.Cloud__"
                                   "ServiceDefinition.csdef");
  auto end = bytes.rfind("</ServiceDefinition>");
  ASSERT_NE(end, std::string::npos);
  for (std::size_t n = 0; n < end + 19; n += 7) {
    auto def = parse_service_definition(std::string_view{bytes}.substr(0, n), "cut.csdef");
    EXPECT_FALSE(def.ok()) << "prefix of " << n << " bytes parsed";
    if (!def.ok()) {
      EXPECT_FALSE(def.err().message.empty());
    }
  }
}

TEST(ServiceModelBadInput, CorruptedRealFilesGiveAResultOrAMessage) {
  // Deterministic byte corruption over a whole real file (UTF-16 too): each
  // parse returns either a value or an error with a message, never crashes.
  for (const char* name : {"MRCollective__AzureWebFarm__AzureWebFarm.Example.Cloud__"
                           "ServiceConfiguration.Cloud.cscfg",
                           "cdrnet__lokad-cloud__Source__Lokad.Cloud__ServiceConfiguration.cscfg"}) {
    auto bytes = read_bytes(models + name);
    for (std::size_t i = 0; i < bytes.size(); i += 5) {
      for (char c : {'\0', '<', '"', '\xFF', '\xD8'}) {
        auto copy = bytes;
        copy[i] = c;
        auto cfg = parse_service_configuration(copy, "corrupt.cscfg");
        if (!cfg.ok()) {
          EXPECT_FALSE(cfg.err().message.empty());
          EXPECT_EQ(cfg.err().file, "corrupt.cscfg");
        }
      }
    }
  }
}

// -- pair validation -----------------------------------------------------------------

namespace {

service_definition pair_definition() {
  auto def = parse_service_definition(
    R"(<ServiceDefinition name="S">
         <WebRole name="Web">
           <ConfigurationSettings><Setting name="Conn"/><Setting name="Mode"/></ConfigurationSettings>
           <Certificates><Certificate name="Ssl"/></Certificates>
           <Imports><Import moduleName="RemoteAccess"/></Imports>
         </WebRole>
         <WorkerRole name="Worker"/>
       </ServiceDefinition>)",
    "svc.csdef");
  EXPECT_TRUE(def.ok());
  return *def;
}

service_configuration pair_configuration() {
  auto cfg = parse_service_configuration(
    R"(<ServiceConfiguration serviceName="S">
         <Role name="Web"><Instances count="2"/>
           <ConfigurationSettings>
             <Setting name="Conn" value="x"/><Setting name="Mode" value=""/>
             <Setting name="Microsoft.WindowsAzure.Plugins.RemoteAccess.Enabled" value="true"/>
           </ConfigurationSettings>
           <Certificates><Certificate name="Ssl" thumbprint="AB12" thumbprintAlgorithm="sha1"/></Certificates>
         </Role>
         <Role name="Worker"><Instances count="1"/></Role>
       </ServiceConfiguration>)",
    "svc.cscfg");
  EXPECT_TRUE(cfg.ok());
  return *cfg;
}

error first_pair_error(const service_definition& def, const service_configuration& cfg) {
  auto st = validate_pair(def, cfg, "svc.csdef", "svc.cscfg");
  EXPECT_FALSE(st.ok());
  return st ? error{} : st.err();
}

} // namespace

TEST(ServiceModelPair, MatchingPairValidates) {
  auto st = validate_pair(pair_definition(), pair_configuration());
  EXPECT_TRUE(st.ok()) << st.err().to_string();
}

TEST(ServiceModelPair, RoleMissingFromConfiguration) {
  auto cfg = pair_configuration();
  cfg.roles.pop_back();
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.file, "svc.cscfg");
  EXPECT_EQ(err.message, "role \"Worker\" is defined in svc.csdef but has no <Role> in svc.cscfg");
}

TEST(ServiceModelPair, RoleMissingFromDefinition) {
  auto cfg = pair_configuration();
  cfg.roles.push_back(role_configuration{});
  cfg.roles.back().name = "Extra";
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.file, "svc.csdef");
  EXPECT_EQ(err.message, "role \"Extra\" is configured in svc.cscfg but not defined in svc.csdef");
}

TEST(ServiceModelPair, DeclaredSettingWithoutValue) {
  auto cfg = pair_configuration();
  cfg.find_role("Web")->settings.erase("Mode");
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.file, "svc.cscfg");
  EXPECT_EQ(err.message,
            "role \"Web\": setting \"Mode\" is declared in svc.csdef but has no value in svc.cscfg");
}

TEST(ServiceModelPair, UndeclaredSetting) {
  auto cfg = pair_configuration();
  cfg.find_role("Worker")->settings["Stray"] = "1";
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.message,
            "role \"Worker\": setting \"Stray\" in svc.cscfg is not declared in svc.csdef");
}

TEST(ServiceModelPair, PluginSettingsNeedTheModuleImported) {
  auto cfg = pair_configuration();
  // Worker does not import RemoteAccess: its plugin setting is undeclared.
  cfg.find_role("Worker")->settings["Microsoft.WindowsAzure.Plugins.RemoteAccess.Enabled"] = "1";
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.message, "role \"Worker\": setting "
                         "\"Microsoft.WindowsAzure.Plugins.RemoteAccess.Enabled\" in svc.cscfg "
                         "is not declared in svc.csdef");
}

TEST(ServiceModelPair, CertificateWithoutThumbprint) {
  auto cfg = pair_configuration();
  cfg.find_role("Web")->certificates.clear();
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.message, "role \"Web\": certificate \"Ssl\" is declared in svc.csdef but has no "
                         "thumbprint in svc.cscfg");
  auto empty = pair_configuration();
  empty.find_role("Web")->certificates[0].thumbprint.clear();
  EXPECT_EQ(first_pair_error(pair_definition(), empty).message, err.message);
}

TEST(ServiceModelPair, UndeclaredCertificate) {
  auto cfg = pair_configuration();
  cfg.find_role("Worker")->certificates.push_back(certificate_ref{"Other", "CD34", "sha1"});
  auto err = first_pair_error(pair_definition(), cfg);
  EXPECT_EQ(err.message,
            "role \"Worker\": certificate \"Other\" in svc.cscfg is not declared in svc.csdef");
}

TEST(ServiceModelPair, CheckPairListsEveryProblemInOrder) {
  auto cfg = pair_configuration();
  cfg.find_role("Web")->settings.erase("Conn");
  cfg.find_role("Web")->certificates.clear();
  cfg.roles.pop_back();
  cfg.roles.push_back(role_configuration{});
  cfg.roles.back().name = "Extra";
  auto errors = check_pair(pair_definition(), cfg, "svc.csdef", "svc.cscfg");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].message.find("setting \"Conn\""), std::string::npos);
  EXPECT_NE(errors[1].message.find("certificate \"Ssl\""), std::string::npos);
  EXPECT_NE(errors[2].message.find("role \"Worker\" is defined"), std::string::npos);
  EXPECT_NE(errors[3].message.find("role \"Extra\" is configured"), std::string::npos);
}

TEST(ServiceModelPair, RealFilesOfDifferentServicesDoNotPair) {
  auto def = definition_ok(models + "cdrnet__lokad-cloud__Source__Lokad.Cloud__"
                                    "ServiceDefinition.csdef");
  auto cfg = configuration_ok(models + "Azure-Samples__cloud-services-dotnet-multiple-websites-"
                                       "in-one-webrole__CSharp__MultiWebsitesOneWebRole__"
                                       "MultiWebsitesOneWebRole__ServiceConfiguration.Cloud.cscfg");
  auto err = first_pair_error(def, cfg);
  EXPECT_EQ(err.message,
            "role \"Lokad.Cloud.WebRole\" is defined in svc.csdef but has no <Role> in svc.cscfg");
}
