#pragma once

// Request bodies of the classic Service Management API, parsed from the bytes
// the real SDKs send into plain structs. Pure: no HTTP, no I/O.
//
// Accepted, for every body (see sm_api/README.md and the SDK notes):
// - with or without an XML prolog (Node sends
//   `<?xml version="1.0" encoding="utf-8" standalone="yes"?>`, Python none);
//   UTF-8 with or without BOM, or UTF-16 with BOM;
// - the root element in the default namespace
//   `http://schemas.microsoft.com/windowsazure` (what both SDKs send), bound
//   to a prefix, or in no namespace; any other namespace is refused;
// - extra attributes on the root (Python adds `xmlns:i=...`) and whitespace
//   around the root name (Python writes `<RoleInstances  ...>` /
//   `</RoleInstances >`);
// - children matched by local name, exact case, in any order; the first of
//   duplicates wins; unknown elements (ExtendedProperties,
//   ExtensionConfiguration, ...) are ignored;
// - text values trimmed of surrounding whitespace;
// - booleans `true` / `false` in any case;
// - Label and Configuration base64 (whitespace inside tolerated).
//
// Errors (fabric::error in the "<Code>: <Message>" form of sm_error.hpp):
// - InvalidXmlRequest: empty body, undecodable bytes, malformed XML, a root
//   element other than the expected one, a foreign namespace;
// - BadRequest: a required element missing or empty, a value that is not a
//   boolean / integer / known mode or status, base64 that does not decode,
//   a label over 100 characters, a configuration that is not a valid .cscfg.
// The message names the element and the offending value.
//
// All functions are safe to call from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"
#include "model/service_configuration.hpp"

namespace fabric::sm_api {

/// The namespace of every request and response body.
inline constexpr const char* azure_namespace = "http://schemas.microsoft.com/windowsazure";

/// A configuration as a request carries it.
struct configuration_payload {
  /// The decoded .cscfg as UTF-8 without BOM; an XML declaration that named
  /// another encoding (utf-16) is rewritten to say utf-8, so the text can be
  /// stored and handed back base64-encoded (clients decode it as UTF-8).
  std::string text;
  model::service_configuration parsed; ///< parse_service_configuration of the bytes
};

/// POST /<sub>/services/hostedservices
struct create_hosted_service_request {
  std::string service_name; ///< a DNS label: letters, digits, '-'; 1..63
  std::string label;        ///< decoded from base64; 1..100 characters
  std::string description;  ///< empty when absent
  std::string location;     ///< exactly one of location / affinity_group is set
  std::string affinity_group;
};

/// POST …/deploymentslots/<slot>
struct create_deployment_request {
  std::string name;
  std::string package_url;
  std::string label; ///< decoded
  configuration_payload configuration;
  bool start_deployment = false; ///< absent = false (deployment stays Suspended)
  bool treat_warnings_as_error = false;
};

/// POST …/?comp=upgrade
struct upgrade_deployment_request {
  model::upgrade_mode mode = model::upgrade_mode::automatic; ///< absent = Auto
  std::string package_url;
  configuration_payload configuration;
  std::string label; ///< decoded
  std::string role_to_upgrade; ///< empty = every role
  bool force = false;          ///< absent = false
};

/// POST …/?comp=walkupgradedomain
struct walk_upgrade_domain_request {
  int upgrade_domain = 0; ///< >= 0; the range check needs the deployment
};

/// POST …/?comp=config
struct change_configuration_request {
  configuration_payload configuration;
  bool treat_warnings_as_error = false;
  model::upgrade_mode mode = model::upgrade_mode::automatic; ///< absent = Auto
};

/// POST …/?comp=status; only Running and Suspended may be requested.
struct update_deployment_status_request {
  model::deployment_status status = model::deployment_status::running;
};

/// POST /<sub>/services/hostedservices/<svc>
struct swap_request {
  std::string production;        ///< empty when absent (Node may omit it)
  std::string source_deployment; ///< required
};

/// POST …/?comp=rollback; Mode is Auto or Manual.
struct rollback_request {
  model::upgrade_mode mode = model::upgrade_mode::automatic; ///< absent = Auto
  bool force = false;
};

/// POST …/roleinstances/?comp=delete
struct delete_role_instances_request {
  std::vector<std::string> names; ///< at least one, no duplicates, in body order
};

result<create_hosted_service_request> parse_create_hosted_service(std::string_view body);
result<create_deployment_request> parse_create_deployment(std::string_view body);
result<upgrade_deployment_request> parse_upgrade_deployment(std::string_view body);
result<walk_upgrade_domain_request> parse_walk_upgrade_domain(std::string_view body);
result<change_configuration_request> parse_change_configuration(std::string_view body);
result<update_deployment_status_request> parse_update_deployment_status(std::string_view body);
result<swap_request> parse_swap(std::string_view body);
result<rollback_request> parse_rollback(std::string_view body);
result<delete_role_instances_request> parse_delete_role_instances(std::string_view body);

/// Decodes a base64 Configuration value and parses it as a .cscfg (UTF-8,
/// UTF-8 with BOM or UTF-16LE with BOM). `element` names the element in
/// error messages. Exposed for the routing layer and tests.
result<configuration_payload> decode_configuration(std::string_view base64_text,
                                                   std::string_view element = "Configuration");

} // namespace fabric::sm_api
