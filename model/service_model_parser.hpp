#pragma once

// Parsing and validation of service model files: the service definition
// (.csdef) and the service configuration (.cscfg), as the tools of 2009-2015
// wrote them, into the plain values of service_definition.hpp and
// service_configuration.hpp.
//
// What is read:
// - either schema namespace (.../2008/10/ServiceDefinition and
//   .../ServiceConfiguration), any namespace prefix, or none: elements are
//   matched by local name and the namespace is not checked;
// - .csdef: root `name`, `upgradeDomainCount` (1..20, default 5); roles
//   `WebRole`, `WorkerRole`, `VirtualMachineRole` with `name` and `vmsize`
//   (default "Small"); endpoints under the pre-2011 `InputEndpoints` /
//   `InternalEndpoints` wrappers or the later `Endpoints` wrapper (any
//   endpoint kind is accepted under any of them): `InputEndpoint`,
//   `InternalEndpoint`, `InstanceInputEndpoint` (public port range from
//   `AllocatePublicPortFrom/FixedPortRange@min,max`); port values "*" mean
//   "not fixed" and read as 0; `LocalResources/LocalStorage` (`name`,
//   `sizeInMB` default 100 as the platform had it, `cleanOnRoleRecycle`
//   default true); `ConfigurationSettings/Setting@name`;
//   `Certificates/Certificate@name`; `Imports/Import@moduleName`;
// - .cscfg: root `serviceName`, `osFamily`, `osVersion`; `Role@name`,
//   `Instances@count`, `ConfigurationSettings/Setting@name,value`,
//   `Certificates/Certificate@name,thumbprint,thumbprintAlgorithm`,
//   `OsImage@href`.
// Unknown elements and attributes are ignored; they never make a file fail.
//
// Errors are values: the first problem found, with the file name, the 1-based
// line where one is known, what is wrong and what is allowed. A failed parse
// gives no partial result. No function here throws or crashes on any input.
//
// Pure (no I/O) except the load_* wrappers, which only read the file and
// call parse_*. All functions are safe to call from any thread.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "model/service_configuration.hpp"
#include "model/service_definition.hpp"

namespace fabric::model {

/// Parses and validates a .csdef. `bytes` is the raw file content in any
/// encoding decode_xml_text accepts; `file_name` only labels errors.
/// Errors: empty or binary file, bad encoding, malformed XML, a root element
/// other than ServiceDefinition, upgradeDomainCount not an integer in 1..20,
/// no role, a role without a name, duplicate role names, a LocalStorage
/// without a name or with sizeInMB not a positive integer, a bad
/// cleanOnRoleRecycle, an endpoint without a name or with a bad port or port
/// range, duplicate endpoint / local storage / setting names in a role, a
/// setting or certificate without a name.
result<service_definition> parse_service_definition(std::string_view bytes,
                                                    const std::string& file_name);

/// Parses and validates a .cscfg (see parse_service_definition for `bytes`).
/// Errors: empty or binary file, bad encoding, malformed XML, a root element
/// other than ServiceConfiguration, no role, a role without a name,
/// duplicate role names, a role without Instances, Instances@count missing,
/// not an integer or below 1, a setting without a name or without a value
/// attribute, duplicate setting names in a role, a certificate without a
/// name.
result<service_configuration> parse_service_configuration(std::string_view bytes,
                                                          const std::string& file_name);

/// Reads `path` and calls parse_service_definition with path.string() as
/// the file name. A file that cannot be read is an error.
result<service_definition> load_service_definition(const std::filesystem::path& path);

/// Reads `path` and calls parse_service_configuration.
result<service_configuration> load_service_configuration(const std::filesystem::path& path);

/// Checks that a definition and a configuration belong together and returns
/// every problem found (empty when they match), in a stable order: for each
/// role of the definition in document order, then roles of the configuration
/// that the definition lacks. Checked:
/// - a role in one file but not the other (the error's file is the one that
///   lacks it);
/// - a setting declared in the .csdef without a value in the .cscfg;
/// - a setting in the .cscfg not declared in the .csdef;
/// - a certificate declared in the .csdef without a thumbprint in the .cscfg;
/// - a certificate in the .cscfg not declared in the .csdef.
/// Settings and certificates named `Microsoft.WindowsAzure.Plugins.<M>.*`
/// count as declared by the module M when the role imports M (as the
/// platform's plugin modules declare them); they are not required.
/// The file names only label the messages (the values carry no lines, so
/// errors have line 0).
std::vector<error> check_pair(const service_definition& definition,
                              const service_configuration& configuration,
                              const std::string& definition_file = "ServiceDefinition.csdef",
                              const std::string& configuration_file
                              = "ServiceConfiguration.cscfg");

/// The first error of check_pair, or ok.
status validate_pair(const service_definition& definition,
                     const service_configuration& configuration,
                     const std::string& definition_file = "ServiceDefinition.csdef",
                     const std::string& configuration_file = "ServiceConfiguration.cscfg");

} // namespace fabric::model
