#include "model/service_model_writer.hpp"

#include <sstream>

#include <pugixml.hpp>

namespace fabric::model {

namespace {

constexpr const char* cscfg_namespace
  = "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration";

} // namespace

std::string render_service_configuration(const service_configuration& configuration) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "utf-8";
  auto node = doc.append_child("ServiceConfiguration");
  node.append_attribute("xmlns") = cscfg_namespace;
  node.append_attribute("serviceName") = configuration.service_name.c_str();
  if (!configuration.os_family.empty())
    node.append_attribute("osFamily") = configuration.os_family.c_str();
  if (!configuration.os_version.empty())
    node.append_attribute("osVersion") = configuration.os_version.c_str();
  for (const auto& role : configuration.roles) {
    auto r = node.append_child("Role");
    r.append_attribute("name") = role.name.c_str();
    if (!role.os_image.empty())
      r.append_child("OsImage").append_attribute("href") = role.os_image.c_str();
    r.append_child("Instances").append_attribute("count") = role.instance_count;
    if (!role.settings.empty()) {
      auto settings = r.append_child("ConfigurationSettings");
      for (const auto& [name, value] : role.settings) {
        auto s = settings.append_child("Setting");
        s.append_attribute("name") = name.c_str();
        s.append_attribute("value") = value.c_str();
      }
    }
    if (!role.certificates.empty()) {
      auto certs = r.append_child("Certificates");
      for (const auto& cert : role.certificates) {
        auto c = certs.append_child("Certificate");
        c.append_attribute("name") = cert.name.c_str();
        c.append_attribute("thumbprint") = cert.thumbprint.c_str();
        c.append_attribute("thumbprintAlgorithm") = cert.thumbprint_algorithm.c_str();
      }
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out.str();
}

} // namespace fabric::model
