// The .cscfg writer (model/service_model_writer.hpp): the document's shape,
// and the round trip through the parser on every real .cscfg in
// tests/data/service-models and on a configuration with every optional part.

#include "model/service_model_writer.hpp"
#include "model/service_model_parser.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <pugixml.hpp>

using namespace fabric;
using namespace fabric::model;

namespace {

bool same(const service_configuration& a, const service_configuration& b) {
  if (a.service_name != b.service_name || a.os_family != b.os_family
      || a.os_version != b.os_version || a.roles.size() != b.roles.size())
    return false;
  for (std::size_t i = 0; i < a.roles.size(); ++i) {
    const auto& x = a.roles[i];
    const auto& y = b.roles[i];
    if (x.name != y.name || x.instance_count != y.instance_count || x.settings != y.settings
        || x.os_image != y.os_image || x.certificates.size() != y.certificates.size())
      return false;
    for (std::size_t j = 0; j < x.certificates.size(); ++j)
      if (x.certificates[j].name != y.certificates[j].name
          || x.certificates[j].thumbprint != y.certificates[j].thumbprint
          || x.certificates[j].thumbprint_algorithm != y.certificates[j].thumbprint_algorithm)
        return false;
  }
  return true;
}

service_configuration full() {
  service_configuration c;
  c.service_name = "shop & <co>";
  c.os_family = "4";
  c.os_version = "*";
  role_configuration web;
  web.name = "WebRole1";
  web.instance_count = 3;
  web.settings = {{"Greeting", "a \"quoted\" <value> & more"}, {"Empty", ""}};
  web.certificates = {{"SSL", "0123ABCD", "sha1"}};
  role_configuration vm;
  vm.name = "Box";
  vm.instance_count = 1;
  vm.os_image = "http://images.example/box.vhd";
  c.roles = {web, vm};
  return c;
}

} // namespace

TEST(ServiceModelWriter, WritesTheDocumentedShape) {
  auto text = render_service_configuration(full());
  EXPECT_EQ(text.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0), 0u) << text;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(text.c_str()));
  auto root = doc.child("ServiceConfiguration");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("xmlns").value(),
               "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration");
  EXPECT_STREQ(root.attribute("serviceName").value(), "shop & <co>");
  EXPECT_STREQ(root.attribute("osFamily").value(), "4");
  EXPECT_STREQ(root.attribute("osVersion").value(), "*");
  auto web = root.find_child_by_attribute("Role", "name", "WebRole1");
  ASSERT_TRUE(web);
  EXPECT_FALSE(web.child("OsImage"));
  EXPECT_EQ(web.child("Instances").attribute("count").as_int(), 3);
  // Settings sorted by name; each element's order as the parser reads it.
  auto first = web.child("ConfigurationSettings").first_child();
  EXPECT_STREQ(first.attribute("name").value(), "Empty");
  EXPECT_STREQ(first.next_sibling().attribute("value").value(), "a \"quoted\" <value> & more");
  auto cert = web.child("Certificates").child("Certificate");
  EXPECT_STREQ(cert.attribute("thumbprint").value(), "0123ABCD");
  EXPECT_STREQ(cert.attribute("thumbprintAlgorithm").value(), "sha1");
  auto box = root.find_child_by_attribute("Role", "name", "Box");
  ASSERT_TRUE(box);
  EXPECT_STREQ(box.child("OsImage").attribute("href").value(), "http://images.example/box.vhd");
  EXPECT_STREQ(box.first_child().name(), "OsImage");
  EXPECT_FALSE(box.child("ConfigurationSettings"));
  EXPECT_FALSE(box.child("Certificates"));
}

TEST(ServiceModelWriter, OmitsUnsetRootAttributes) {
  service_configuration c;
  c.service_name = "svc";
  c.roles.push_back({"W", 2, {}, {}, ""});
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(render_service_configuration(c).c_str()));
  auto root = doc.child("ServiceConfiguration");
  EXPECT_FALSE(root.attribute("osFamily"));
  EXPECT_FALSE(root.attribute("osVersion"));
}

TEST(ServiceModelWriter, RoundTripsEveryOptionalPart) {
  auto original = full();
  auto back = parse_service_configuration(render_service_configuration(original), "written.cscfg");
  ASSERT_TRUE(back.ok()) << back.err().to_string();
  EXPECT_TRUE(same(original, *back));
}

TEST(ServiceModelWriter, RoundTripsEveryRealConfiguration) {
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(FABRIC_TEST_DATA "/service-models")) {
    if (e.path().extension() != ".cscfg")
      continue;
    auto parsed = load_service_configuration(e.path());
    ASSERT_TRUE(parsed.ok()) << parsed.err().to_string();
    auto written = render_service_configuration(*parsed);
    auto back = parse_service_configuration(written, e.path().filename().string());
    ASSERT_TRUE(back.ok()) << e.path() << ": " << back.err().to_string() << "\n" << written;
    EXPECT_TRUE(same(*parsed, *back)) << e.path() << "\n" << written;
    ++checked;
  }
  EXPECT_GE(checked, 4);
}
