#include "model/service_model_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <sstream>

#include <pugixml.hpp>

#include "model/text.hpp"
#include "model/xml_text.hpp"

namespace fabric::model {

namespace {

// -- helpers -------------------------------------------------------------------

constexpr std::int64_t default_local_storage_mb = 100;

/// Thrown inside this file only; every public function catches it.
struct parse_failure {
  error err;
};

std::string_view local_name(const char* name) {
  std::string_view s{name};
  auto colon = s.rfind(':');
  return colon == std::string_view::npos ? s : s.substr(colon + 1);
}

bool is_element(pugi::xml_node node, std::string_view name) {
  return node.type() == pugi::node_element && local_name(node.name()) == name;
}

/// The element children of `node` with local name `name`, in order.
std::vector<pugi::xml_node> children(pugi::xml_node node, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (auto child : node.children())
    if (is_element(child, name))
      out.push_back(child);
  return out;
}


/// An xs:int-like integer (optional sign, decimal digits, surrounding
/// whitespace); values too large for int64 are clamped so that they fail
/// range checks rather than read as "not an integer".
std::optional<std::int64_t> to_integer(std::string_view s) {
  s = trim(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty())
    return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ptr != s.data() + s.size())
    return std::nullopt;
  if (ec == std::errc::result_out_of_range)
    value = std::numeric_limits<std::int64_t>::max();
  else if (ec != std::errc{})
    return std::nullopt;
  return negative ? -value : value;
}

std::string in_quotes(std::string_view s) {
  return "\"" + std::string{s} + "\"";
}

/// State for one file: its decoded text (for line numbers) and name.
class reader {
public:
  reader(std::string text, const std::string& file) : text_(std::move(text)), file_(file) {
  }

  /// Parses the text and returns the root element, which must be `root`.
  pugi::xml_node load(std::string_view root, std::string_view other_root,
                      std::string_view other_kind) {
    auto res = doc_.load_buffer(text_.data(), text_.size(), pugi::parse_default,
                                pugi::encoding_utf8);
    if (!res) {
      auto offset = static_cast<std::size_t>(std::max<std::ptrdiff_t>(res.offset, 0));
      if (res.status == pugi::status_no_document_element)
        fail(line_of_offset(text_, offset),
             "no XML element found; expected a <" + std::string{root} + "> document");
      fail(line_of_offset(text_, offset),
           std::string{"malformed XML: "} + res.description() + " (column "
             + std::to_string(column_of(offset)) + ")");
    }
    pugi::xml_node root_node;
    for (auto child : doc_.children()) {
      if (child.type() != pugi::node_element)
        continue;
      if (root_node)
        fail(line(child), "more than one root element; expected a single <"
                            + std::string{root} + "> element");
      root_node = child;
    }
    if (local_name(root_node.name()) != root) {
      std::string msg = "wrong root element <" + std::string{root_node.name()} + ">; expected <"
                        + std::string{root} + ">";
      if (local_name(root_node.name()) == other_root)
        msg += " (this file is a " + std::string{other_kind} + ")";
      fail(line(root_node), msg);
    }
    return root_node;
  }

  int line(pugi::xml_node node) const {
    auto offset = node.offset_debug();
    return offset < 0 ? 0 : line_of_offset(text_, static_cast<std::size_t>(offset));
  }

  [[noreturn]] void fail(int line, std::string message) const {
    throw parse_failure{error{std::move(message), file_, line}};
  }

  [[noreturn]] void fail(pugi::xml_node node, std::string message) const {
    fail(line(node), std::move(message));
  }

  /// The `name` attribute, which must be present and not empty.
  std::string required_name(pugi::xml_node node, const std::string& context,
                            const std::string& why) const {
    std::string name{trim(node.attribute("name").value())};
    if (name.empty())
      fail(node, context + "<" + node.name() + "> has no name attribute; " + why);
    return name;
  }

  /// A port attribute: absent or "*" read as 0, else an integer 1..65535.
  int port(pugi::xml_node node, const char* attribute, const std::string& context) const {
    auto attr = node.attribute(attribute);
    if (!attr)
      return 0;
    auto text = trim(attr.value());
    if (text == "*")
      return 0;
    auto value = to_integer(text);
    if (!value || *value < 1 || *value > 65535)
      fail(node, context + attribute + "=" + in_quotes(attr.value())
                   + " is not a port number; allowed: an integer from 1 to 65535, or \"*\"");
    return static_cast<int>(*value);
  }

private:
  int column_of(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    auto line_start = text_.rfind('\n', offset == 0 ? 0 : offset - 1);
    std::size_t begin = (line_start == std::string::npos || offset == 0) ? 0 : line_start + 1;
    int column = 1;
    for (std::size_t i = begin; i < offset; ++i)
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80)
        ++column;
    return column;
  }

  std::string text_;
  const std::string& file_;
  pugi::xml_document doc_;
};

/// Runs `body` with the decoded text of `bytes`; turns failures into errors.
template <class T, class F>
result<T> guarded(std::string_view bytes, const std::string& file_name, F body) {
  auto text = decode_xml_text(bytes, file_name);
  if (!text)
    return text.err();
  try {
    reader in{std::move(text->utf8), file_name};
    return body(in);
  } catch (parse_failure& failure) {
    return std::move(failure.err);
  } catch (std::bad_alloc&) {
    return error{"out of memory while parsing", file_name, 0};
  }
}

// -- .csdef --------------------------------------------------------------------

std::string role_context(const std::string& role) {
  return "role " + in_quotes(role) + ": ";
}

endpoint read_endpoint(const reader& in, pugi::xml_node node, endpoint_kind kind,
                       const std::string& role) {
  endpoint ep;
  ep.kind = kind;
  ep.name = in.required_name(node, role_context(role), "every endpoint needs a name");
  ep.protocol = trim(node.attribute("protocol").value());
  auto context = role_context(role) + "endpoint " + in_quotes(ep.name) + ": ";
  ep.port = in.port(node, "port", context);
  ep.local_port = in.port(node, "localPort", context);
  if (kind == endpoint_kind::instance_input) {
    pugi::xml_node range;
    for (auto from : children(node, "AllocatePublicPortFrom"))
      for (auto r : children(from, "FixedPortRange"))
        if (!range)
          range = r;
    if (!range)
      in.fail(node, context
                      + "InstanceInputEndpoint has no AllocatePublicPortFrom/FixedPortRange; "
                        "allowed: <AllocatePublicPortFrom><FixedPortRange min=\"..\" max=\"..\"/>"
                        "</AllocatePublicPortFrom>");
    for (const char* bound : {"min", "max"})
      if (!range.attribute(bound))
        in.fail(range, context + "FixedPortRange has no " + bound
                         + " attribute; allowed: an integer from 1 to 65535");
    ep.port_range_min = in.port(range, "min", context + "FixedPortRange ");
    ep.port_range_max = in.port(range, "max", context + "FixedPortRange ");
    if (ep.port_range_min == 0 || ep.port_range_max == 0
        || ep.port_range_min > ep.port_range_max)
      in.fail(range, context + "FixedPortRange min=" + in_quotes(range.attribute("min").value())
                       + " max=" + in_quotes(range.attribute("max").value())
                       + " is not a port range; allowed: 1 <= min <= max <= 65535");
  } else {
    // InternalEndpoint may fix its port with <FixedPort port=".."/>.
    for (auto fixed : children(node, "FixedPort"))
      if (ep.port == 0)
        ep.port = in.port(fixed, "port", context + "FixedPort ");
  }
  return ep;
}

bool read_boolean(const reader& in, pugi::xml_node node, const char* attribute, bool fallback,
                  const std::string& context) {
  auto attr = node.attribute(attribute);
  if (!attr)
    return fallback;
  auto text = trim(attr.value());
  if (text == "true" || text == "1")
    return true;
  if (text == "false" || text == "0")
    return false;
  in.fail(node, context + attribute + "=" + in_quotes(attr.value())
                  + " is not a boolean; allowed: true or false");
}

role_definition read_role(const reader& in, pugi::xml_node node, role_kind kind) {
  role_definition role;
  role.kind = kind;
  role.name = in.required_name(node, "", "every role needs a unique name");
  if (auto size = trim(node.attribute("vmsize").value()); !size.empty())
    role.vm_size = size;
  auto context = role_context(role.name);

  std::map<std::string, int> endpoint_lines;
  auto add_endpoint = [&](pugi::xml_node ep_node, endpoint_kind ep_kind) {
    auto ep = read_endpoint(in, ep_node, ep_kind, role.name);
    auto [it, fresh] = endpoint_lines.emplace(ep.name, in.line(ep_node));
    if (!fresh)
      in.fail(ep_node, context + "duplicate endpoint name " + in_quotes(ep.name)
                         + " (first on line " + std::to_string(it->second)
                         + "); endpoint names must be unique within a role");
    role.endpoints.push_back(std::move(ep));
  };
  for (auto child : node.children()) {
    if (!(is_element(child, "Endpoints") || is_element(child, "InputEndpoints")
          || is_element(child, "InternalEndpoints")))
      continue;
    for (auto ep : child.children()) {
      if (is_element(ep, "InputEndpoint"))
        add_endpoint(ep, endpoint_kind::input);
      else if (is_element(ep, "InternalEndpoint"))
        add_endpoint(ep, endpoint_kind::internal);
      else if (is_element(ep, "InstanceInputEndpoint"))
        add_endpoint(ep, endpoint_kind::instance_input);
    }
  }

  std::set<std::string> seen;
  for (auto resources : children(node, "LocalResources")) {
    for (auto ls_node : children(resources, "LocalStorage")) {
      local_storage_resource ls;
      ls.name = in.required_name(ls_node, context, "every local storage resource needs a name");
      auto ls_context = context + "LocalStorage " + in_quotes(ls.name) + ": ";
      if (!seen.insert(ls.name).second)
        in.fail(ls_node, context + "duplicate LocalStorage name " + in_quotes(ls.name)
                           + "; names must be unique within a role");
      ls.size_mb = default_local_storage_mb;
      if (auto attr = ls_node.attribute("sizeInMB")) {
        auto size = to_integer(attr.value());
        if (!size || *size < 1)
          in.fail(ls_node, ls_context + "sizeInMB=" + in_quotes(attr.value())
                             + " is not a positive integer; allowed: a whole number of "
                               "megabytes, at least 1");
        ls.size_mb = *size;
      }
      ls.clean_on_role_recycle =
        read_boolean(in, ls_node, "cleanOnRoleRecycle", true, ls_context);
      role.local_storage.push_back(std::move(ls));
    }
  }

  seen.clear();
  for (auto settings : children(node, "ConfigurationSettings")) {
    for (auto setting : children(settings, "Setting")) {
      auto name = in.required_name(setting, context, "every setting needs a name");
      if (!seen.insert(name).second)
        in.fail(setting, context + "duplicate setting " + in_quotes(name)
                           + "; setting names must be unique within a role");
      role.settings.push_back(std::move(name));
    }
  }

  seen.clear();
  for (auto certificates : children(node, "Certificates")) {
    for (auto cert : children(certificates, "Certificate")) {
      auto name = in.required_name(cert, context, "every certificate needs a name");
      if (!seen.insert(name).second)
        in.fail(cert, context + "duplicate certificate " + in_quotes(name)
                        + "; certificate names must be unique within a role");
      role.certificates.push_back(std::move(name));
    }
  }

  for (auto imports : children(node, "Imports"))
    for (auto import : children(imports, "Import"))
      if (auto module = trim(import.attribute("moduleName").value()); !module.empty())
        role.imports.emplace_back(module);
  return role;
}

// -- .cscfg --------------------------------------------------------------------

role_configuration read_role_configuration(const reader& in, pugi::xml_node node) {
  role_configuration role;
  role.name = in.required_name(node, "", "every role needs a unique name");
  auto context = role_context(role.name);

  auto instances = children(node, "Instances");
  if (instances.empty())
    in.fail(node, context + "no <Instances count=\"..\"/> element; every role needs an "
                              "instance count of at least 1");
  auto count_attr = instances.front().attribute("count");
  if (!count_attr)
    in.fail(instances.front(), context + "<Instances> has no count attribute; allowed: an "
                                         "integer of at least 1");
  auto count = to_integer(count_attr.value());
  if (!count)
    in.fail(instances.front(), context + "Instances count=" + in_quotes(count_attr.value())
                                 + " is not an integer; allowed: an integer of at least 1");
  if (*count < 1)
    in.fail(instances.front(), context + "Instances count=" + in_quotes(count_attr.value())
                                 + " is below 1; allowed: an integer of at least 1");
  if (*count > std::numeric_limits<int>::max())
    in.fail(instances.front(), context + "Instances count=" + in_quotes(count_attr.value())
                                 + " is too large; allowed: an integer of at least 1");
  role.instance_count = static_cast<int>(*count);

  for (auto settings : children(node, "ConfigurationSettings")) {
    for (auto setting : children(settings, "Setting")) {
      auto name = in.required_name(setting, context, "every setting needs a name");
      auto value = setting.attribute("value");
      if (!value)
        in.fail(setting, context + "setting " + in_quotes(name)
                           + " has no value attribute; write value=\"\" for an empty value");
      if (!role.settings.emplace(name, value.value()).second)
        in.fail(setting, context + "duplicate setting " + in_quotes(name)
                           + "; setting names must be unique within a role");
    }
  }

  std::set<std::string> seen;
  for (auto certificates : children(node, "Certificates")) {
    for (auto cert : children(certificates, "Certificate")) {
      certificate_ref ref;
      ref.name = in.required_name(cert, context, "every certificate needs a name");
      if (!seen.insert(ref.name).second)
        in.fail(cert, context + "duplicate certificate " + in_quotes(ref.name)
                        + "; certificate names must be unique within a role");
      ref.thumbprint = trim(cert.attribute("thumbprint").value());
      ref.thumbprint_algorithm = trim(cert.attribute("thumbprintAlgorithm").value());
      role.certificates.push_back(std::move(ref));
    }
  }

  for (auto image : children(node, "OsImage"))
    if (role.os_image.empty())
      role.os_image = trim(image.attribute("href").value());
  return role;
}

/// Fails on a role name seen before, naming the line of the first.
void check_unique_role(const reader& in, std::map<std::string, int>& seen,
                       const std::string& name, pugi::xml_node node) {
  auto [it, fresh] = seen.emplace(name, in.line(node));
  if (!fresh)
    in.fail(node, "duplicate role name " + in_quotes(name) + " (first on line "
                    + std::to_string(it->second) + "); role names must be unique");
}

// -- pair ----------------------------------------------------------------------

/// True when `name` is Microsoft.WindowsAzure.Plugins.<M>.* and `role`
/// imports M: the plugin module declares it.
bool provided_by_import(const role_definition& role, const std::string& name) {
  constexpr std::string_view prefix = "Microsoft.WindowsAzure.Plugins.";
  if (name.compare(0, prefix.size(), prefix) != 0)
    return false;
  auto rest = std::string_view{name}.substr(prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos)
    return false;
  auto module = rest.substr(0, dot);
  for (const auto& imported : role.imports)
    if (imported == module)
      return true;
  return false;
}

} // namespace

result<service_definition> parse_service_definition(std::string_view bytes,
                                                    const std::string& file_name) {
  return guarded<service_definition>(bytes, file_name, [](reader& in) {
    auto root = in.load("ServiceDefinition", "ServiceConfiguration",
                        "service configuration (.cscfg)");
    service_definition def;
    def.name = trim(root.attribute("name").value());
    if (auto attr = root.attribute("upgradeDomainCount")) {
      auto count = to_integer(attr.value());
      auto allowed = "allowed: an integer from 1 to " + std::to_string(max_upgrade_domain_count)
                     + " (default " + std::to_string(default_upgrade_domain_count)
                     + " when absent)";
      if (!count)
        in.fail(root, "upgradeDomainCount=" + in_quotes(attr.value()) + " is not an integer; "
                        + allowed);
      if (*count < 1 || *count > max_upgrade_domain_count)
        in.fail(root, "upgradeDomainCount=" + in_quotes(attr.value()) + " is out of range; "
                        + allowed);
      def.upgrade_domain_count = static_cast<int>(*count);
    }
    std::map<std::string, int> seen;
    for (auto child : root.children()) {
      std::optional<role_kind> kind;
      if (is_element(child, "WebRole"))
        kind = role_kind::web;
      else if (is_element(child, "WorkerRole"))
        kind = role_kind::worker;
      else if (is_element(child, "VirtualMachineRole"))
        kind = role_kind::virtual_machine;
      if (!kind)
        continue;
      auto role = read_role(in, child, *kind);
      check_unique_role(in, seen, role.name, child);
      def.roles.push_back(std::move(role));
    }
    if (def.roles.empty())
      in.fail(root, "the service definition has no role; allowed: one or more <WebRole>, "
                    "<WorkerRole> or <VirtualMachineRole> elements");
    return result<service_definition>{std::move(def)};
  });
}

result<service_configuration> parse_service_configuration(std::string_view bytes,
                                                          const std::string& file_name) {
  return guarded<service_configuration>(bytes, file_name, [](reader& in) {
    auto root = in.load("ServiceConfiguration", "ServiceDefinition",
                        "service definition (.csdef)");
    service_configuration cfg;
    cfg.service_name = trim(root.attribute("serviceName").value());
    cfg.os_family = trim(root.attribute("osFamily").value());
    cfg.os_version = trim(root.attribute("osVersion").value());
    std::map<std::string, int> seen;
    for (auto child : children(root, "Role")) {
      auto role = read_role_configuration(in, child);
      check_unique_role(in, seen, role.name, child);
      cfg.roles.push_back(std::move(role));
    }
    if (cfg.roles.empty())
      in.fail(root, "the service configuration has no role; allowed: one or more <Role> "
                    "elements");
    return result<service_configuration>{std::move(cfg)};
  });
}

namespace {

result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return error{"cannot open the file for reading", path.string(), 0};
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return error{"cannot read the file", path.string(), 0};
  return buf.str();
}

} // namespace

result<service_definition> load_service_definition(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  if (!bytes)
    return bytes.err();
  return parse_service_definition(*bytes, path.string());
}

result<service_configuration> load_service_configuration(const std::filesystem::path& path) {
  auto bytes = read_file(path);
  if (!bytes)
    return bytes.err();
  return parse_service_configuration(*bytes, path.string());
}

std::vector<error> check_pair(const service_definition& definition,
                              const service_configuration& configuration,
                              const std::string& definition_file,
                              const std::string& configuration_file) {
  std::vector<error> out;
  auto add = [&](const std::string& file, std::string message) {
    out.push_back(error{std::move(message), file, 0});
  };
  for (const auto& role : definition.roles) {
    const auto* cfg = configuration.find_role(role.name);
    if (cfg == nullptr) {
      add(configuration_file, "role " + in_quotes(role.name) + " is defined in " + definition_file
                                + " but has no <Role> in " + configuration_file);
      continue;
    }
    auto context = "role " + in_quotes(role.name) + ": ";
    for (const auto& setting : role.settings)
      if (cfg->settings.count(setting) == 0)
        add(configuration_file, context + "setting " + in_quotes(setting) + " is declared in "
                                  + definition_file + " but has no value in "
                                  + configuration_file);
    for (const auto& [name, value] : cfg->settings) {
      bool declared = std::find(role.settings.begin(), role.settings.end(), name)
                      != role.settings.end();
      if (!declared && !provided_by_import(role, name))
        add(configuration_file, context + "setting " + in_quotes(name) + " in "
                                  + configuration_file + " is not declared in "
                                  + definition_file);
    }
    for (const auto& cert : role.certificates) {
      auto it = std::find_if(cfg->certificates.begin(), cfg->certificates.end(),
                             [&](const certificate_ref& ref) { return ref.name == cert; });
      if (it == cfg->certificates.end() || it->thumbprint.empty())
        add(configuration_file, context + "certificate " + in_quotes(cert) + " is declared in "
                                  + definition_file + " but has no thumbprint in "
                                  + configuration_file);
    }
    for (const auto& ref : cfg->certificates) {
      bool declared = std::find(role.certificates.begin(), role.certificates.end(), ref.name)
                      != role.certificates.end();
      if (!declared && !provided_by_import(role, ref.name))
        add(configuration_file, context + "certificate " + in_quotes(ref.name) + " in "
                                  + configuration_file + " is not declared in "
                                  + definition_file);
    }
  }
  for (const auto& cfg : configuration.roles)
    if (definition.find_role(cfg.name) == nullptr)
      add(definition_file, "role " + in_quotes(cfg.name) + " is configured in "
                             + configuration_file + " but not defined in " + definition_file);
  return out;
}

status validate_pair(const service_definition& definition,
                     const service_configuration& configuration,
                     const std::string& definition_file,
                     const std::string& configuration_file) {
  auto errors = check_pair(definition, configuration, definition_file, configuration_file);
  if (errors.empty())
    return ok_status();
  return errors.front();
}

} // namespace fabric::model
