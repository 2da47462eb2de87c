#include "sm_api/requests.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <pugixml.hpp>

#include "model/service_model_parser.hpp"
#include "model/text.hpp"
#include "model/limits.hpp"
#include "model/xml_text.hpp"
#include "sm_api/base64.hpp"
#include "sm_api/sm_error.hpp"

namespace fabric::sm_api {

namespace {

constexpr std::size_t max_label_chars = 100;
constexpr std::size_t max_service_name_chars = 63;

/// Thrown inside this file only; every public function catches it.
struct parse_failure {
  error err;
};

[[noreturn]] void fail(const char* code, const std::string& message) {
  throw parse_failure{make_error(code, message)};
}

std::string_view local_name(std::string_view name) {
  auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view prefix_of(std::string_view name) {
  auto colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
}



/// Number of code points when `s` is valid UTF-8 (no NUL), else empty.
std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c == 0)
      return std::nullopt;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + extra >= s.size() && extra > 0)
      return std::nullopt; // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t min_of[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_of[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return std::nullopt;
    i += extra + 1;
  }
  return count;
}

/// One request body: the parsed document and its root element.
class body_reader {
public:
  body_reader(std::string_view body, std::string_view root) : root_name_(root) {
    if (trim(body).empty())
      fail(codes::invalid_xml_request,
           "The request body is empty; expected a <" + root_name_ + "> element.");
    auto decoded = model::decode_xml_text(body, "request body");
    if (!decoded.ok())
      fail(codes::invalid_xml_request,
           "The request body is not valid text: " + decoded.err().message);
    text_ = std::move(decoded->utf8);
    auto res = doc_.load_buffer(text_.data(), text_.size(), pugi::parse_default,
                                pugi::encoding_utf8);
    if (!res)
      fail(codes::invalid_xml_request,
           std::string{"The request body is not well-formed XML: "} + res.description()
             + " at offset " + std::to_string(res.offset) + ".");
    root_ = doc_.document_element();
    if (!root_)
      fail(codes::invalid_xml_request,
           "The request body has no XML element; expected a <" + root_name_ + "> element.");
    std::string_view name{root_.name()};
    if (local_name(name) != root_name_)
      fail(codes::invalid_xml_request, "The request body's root element is <" + std::string{name}
                                         + ">; expected <" + root_name_ + ">.");
    auto prefix = prefix_of(name);
    std::string xmlns = prefix.empty() ? "xmlns" : "xmlns:" + std::string{prefix};
    auto ns_attr = root_.attribute(xmlns.c_str());
    std::string_view ns = ns_attr ? ns_attr.value() : "";
    if (!ns.empty() && ns != azure_namespace)
      fail(codes::invalid_xml_request,
           "The <" + root_name_ + "> element is in the namespace '" + std::string{ns}
             + "'; expected " + azure_namespace + " or no namespace.");
  }

  pugi::xml_node root() const { return root_; }

  /// The first child element with this local name.
  pugi::xml_node child(std::string_view name) const {
    for (auto c : root_.children())
      if (c.type() == pugi::node_element && local_name(c.name()) == name)
        return c;
    return {};
  }

  /// The trimmed text of a child element; empty when the element is absent.
  std::optional<std::string> text(std::string_view name) const {
    auto c = child(name);
    if (!c)
      return std::nullopt;
    return std::string{trim(c.text().get())};
  }

  std::string optional_text(std::string_view name) const {
    return text(name).value_or(std::string{});
  }

  std::string required(std::string_view name) const {
    auto value = text(name);
    if (!value)
      fail(codes::bad_request, "The required element " + std::string{name}
                                 + " is missing from <" + root_name_ + ">.");
    if (value->empty())
      fail(codes::bad_request, "The required element " + std::string{name} + " is empty.");
    return *value;
  }

  bool boolean(std::string_view name, bool fallback) const {
    auto value = text(name);
    if (!value || value->empty())
      return fallback;
    if (iequals(*value, "true"))
      return true;
    if (iequals(*value, "false"))
      return false;
    fail(codes::bad_request, "The value '" + *value + "' of " + std::string{name}
                               + " is not a boolean; use true or false.");
  }

  model::upgrade_mode mode(std::string_view name, bool allow_simultaneous) const {
    auto value = text(name);
    if (!value || value->empty())
      return model::upgrade_mode::automatic;
    auto parsed = model::parse_upgrade_mode(*value);
    if (!parsed || (!allow_simultaneous && *parsed == model::upgrade_mode::simultaneous))
      fail(codes::bad_request, "The value '" + *value + "' of " + std::string{name}
                                 + " is not an upgrade mode; use "
                                 + (allow_simultaneous ? "Auto, Manual or Simultaneous."
                                                       : "Auto or Manual."));
    return *parsed;
  }

  std::string label(std::string_view name) const {
    auto encoded = required(name);
    auto decoded = base64_decode(encoded);
    if (!decoded)
      fail(codes::bad_request, "The value of " + std::string{name} + " is not valid base64.");
    auto length = utf8_length(*decoded);
    if (!length)
      fail(codes::bad_request,
           "The value of " + std::string{name} + " does not decode to UTF-8 text.");
    if (*length == 0)
      fail(codes::bad_request, "The required element " + std::string{name} + " is empty.");
    if (*length > max_label_chars)
      fail(codes::bad_request, "The value of " + std::string{name} + " is "
                                 + std::to_string(*length)
                                 + " characters long; a label may have at most 100.");
    return std::move(*decoded);
  }

  configuration_payload configuration(std::string_view name) const {
    auto res = decode_configuration(required(name), name);
    if (!res.ok())
      throw parse_failure{res.err()};
    return std::move(res).value();
  }

private:
  std::string root_name_;
  std::string text_;
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

template <class T, class F>
result<T> guarded(F&& f) {
  try {
    return f();
  } catch (const parse_failure& failure) {
    return failure.err;
  } catch (const std::bad_alloc&) {
    return make_error(codes::internal_error, "Out of memory while reading the request body.");
  }
}

bool valid_service_name(std::string_view name) {
  if (name.empty() || name.size() > max_service_name_chars)
    return false;
  if (name.front() == '-' || name.back() == '-')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

} // namespace

result<configuration_payload> decode_configuration(std::string_view base64_text,
                                                   std::string_view element) {
  return guarded<configuration_payload>([&]() -> configuration_payload {
    auto bytes = base64_decode(base64_text);
    if (!bytes)
      fail(codes::bad_request, "The value of " + std::string{element} + " is not valid base64.");
    auto parsed = model::parse_service_configuration(*bytes, "ServiceConfiguration.cscfg");
    if (!parsed.ok())
      fail(codes::bad_request, "The value of " + std::string{element}
                                 + " is not a valid service configuration: "
                                 + parsed.err().to_string());
    // parse_service_configuration accepted the bytes, so they decode.
    auto text = model::decode_xml_text(*bytes, "ServiceConfiguration.cscfg");
    configuration_payload out;
    out.text = model::declare_utf8(text.ok() ? std::move(text->utf8) : std::string{});
    out.parsed = std::move(parsed).value();
    return out;
  });
}

result<create_hosted_service_request> parse_create_hosted_service(std::string_view body) {
  return guarded<create_hosted_service_request>([&] {
    body_reader in{body, "CreateHostedService"};
    create_hosted_service_request out;
    out.service_name = in.required("ServiceName");
    if (!valid_service_name(out.service_name))
      fail(codes::bad_request,
           "The hosted service name '" + out.service_name
             + "' is invalid; use 1 to 63 letters, digits and hyphens, not starting or "
               "ending with a hyphen.");
    out.label = in.label("Label");
    out.description = in.optional_text("Description");
    if (auto why = model::text_field_error("Description", out.description,
                                           model::max_description_chars);
        !why.empty())
      fail(codes::bad_request, "The value of " + why + ".");
    out.location = in.optional_text("Location");
    if (auto why = model::text_field_error("Location", out.location, model::max_location_chars);
        !why.empty())
      fail(codes::bad_request, "The value of " + why + ".");
    out.affinity_group = in.optional_text("AffinityGroup");
    if (!out.location.empty() && !out.affinity_group.empty())
      fail(codes::bad_request, "Specify either Location or AffinityGroup, not both.");
    if (out.location.empty() && out.affinity_group.empty())
      fail(codes::bad_request, "Either Location or AffinityGroup is required.");
    return out;
  });
}

result<create_deployment_request> parse_create_deployment(std::string_view body) {
  return guarded<create_deployment_request>([&] {
    body_reader in{body, "CreateDeployment"};
    create_deployment_request out;
    out.name = in.required("Name");
    out.package_url = in.required("PackageUrl");
    out.label = in.label("Label");
    out.configuration = in.configuration("Configuration");
    out.start_deployment = in.boolean("StartDeployment", false);
    out.treat_warnings_as_error = in.boolean("TreatWarningsAsError", false);
    return out;
  });
}

result<upgrade_deployment_request> parse_upgrade_deployment(std::string_view body) {
  return guarded<upgrade_deployment_request>([&] {
    body_reader in{body, "UpgradeDeployment"};
    upgrade_deployment_request out;
    out.mode = in.mode("Mode", true);
    out.package_url = in.required("PackageUrl");
    out.configuration = in.configuration("Configuration");
    out.label = in.label("Label");
    out.role_to_upgrade = in.optional_text("RoleToUpgrade");
    out.force = in.boolean("Force", false);
    return out;
  });
}

result<walk_upgrade_domain_request> parse_walk_upgrade_domain(std::string_view body) {
  return guarded<walk_upgrade_domain_request>([&] {
    body_reader in{body, "WalkUpgradeDomain"};
    auto value = in.required("UpgradeDomain");
    int ud = -1;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ud);
    if (ec != std::errc{} || ptr != value.data() + value.size() || ud < 0)
      fail(codes::bad_request, "The value '" + value
                                 + "' of UpgradeDomain is not a non-negative integer.");
    return walk_upgrade_domain_request{ud};
  });
}

result<change_configuration_request> parse_change_configuration(std::string_view body) {
  return guarded<change_configuration_request>([&] {
    body_reader in{body, "ChangeConfiguration"};
    change_configuration_request out;
    out.configuration = in.configuration("Configuration");
    out.treat_warnings_as_error = in.boolean("TreatWarningsAsError", false);
    out.mode = in.mode("Mode", true);
    return out;
  });
}

result<update_deployment_status_request> parse_update_deployment_status(std::string_view body) {
  return guarded<update_deployment_status_request>([&] {
    body_reader in{body, "UpdateDeploymentStatus"};
    auto value = in.required("Status");
    if (iequals(value, "Running"))
      return update_deployment_status_request{model::deployment_status::running};
    if (iequals(value, "Suspended"))
      return update_deployment_status_request{model::deployment_status::suspended};
    fail(codes::bad_request,
         "The value '" + value + "' of Status is not allowed; use Running or Suspended.");
  });
}

result<swap_request> parse_swap(std::string_view body) {
  return guarded<swap_request>([&] {
    body_reader in{body, "Swap"};
    swap_request out;
    out.production = in.optional_text("Production");
    out.source_deployment = in.required("SourceDeployment");
    return out;
  });
}

result<rollback_request> parse_rollback(std::string_view body) {
  return guarded<rollback_request>([&] {
    body_reader in{body, "RollbackUpdateOrUpgrade"};
    rollback_request out;
    out.mode = in.mode("Mode", false);
    out.force = in.boolean("Force", false);
    return out;
  });
}

result<delete_role_instances_request> parse_delete_role_instances(std::string_view body) {
  return guarded<delete_role_instances_request>([&] {
    body_reader in{body, "RoleInstances"};
    delete_role_instances_request out;
    std::set<std::string> seen;
    for (auto c : in.root().children()) {
      if (c.type() != pugi::node_element || local_name(c.name()) != "Name")
        continue;
      std::string name{trim(c.text().get())};
      if (name.empty())
        fail(codes::bad_request, "A Name element of RoleInstances is empty.");
      if (!seen.insert(name).second)
        fail(codes::bad_request, "The role instance '" + name + "' is listed twice.");
      out.names.push_back(std::move(name));
    }
    if (out.names.empty())
      fail(codes::bad_request,
           "RoleInstances lists no Name; at least one role instance is required.");
    return out;
  });
}

} // namespace fabric::sm_api
