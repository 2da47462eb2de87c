#pragma once

// The service definition (.csdef): roles, their endpoints, local storage,
// declared settings and certificates, and the service's upgrade domain count.
// A plain value; parsing and validation live in service_model_parser.hpp.

#include <cstdint>
#include <string>
#include <vector>

namespace fabric::model {

constexpr int default_upgrade_domain_count = 5;
constexpr int max_upgrade_domain_count = 20;

enum class role_kind { web, worker, virtual_machine };

/// "WebRole", "WorkerRole", "VirtualMachineRole".
const char* to_string(role_kind kind);

enum class endpoint_kind {
  input,          ///< reachable through the slot's VIP
  internal,       ///< between roles of the deployment
  instance_input, ///< one VIP port per instance (a port range)
};

/// "input", "internal", "instance-input".
const char* to_string(endpoint_kind kind);

struct endpoint {
  std::string name;
  endpoint_kind kind = endpoint_kind::input;
  std::string protocol; ///< "http", "https", "tcp", "udp", "any"
  int port = 0;         ///< public port for input endpoints; 0 when not set
  int local_port = 0;   ///< localPort; 0 when not set (dynamic)
  int port_range_min = 0; ///< instance-input: the public port range
  int port_range_max = 0;
};

struct local_storage_resource {
  std::string name;
  std::int64_t size_mb = 0;
  /// Platform default is true: the resource is wiped when the role recycles.
  bool clean_on_role_recycle = true;
};

struct role_definition {
  std::string name;
  role_kind kind = role_kind::worker;
  std::string vm_size = "Small"; ///< platform default when vmsize is absent
  std::vector<endpoint> endpoints;
  std::vector<local_storage_resource> local_storage;
  std::vector<std::string> settings;     ///< ConfigurationSettings/Setting@name
  std::vector<std::string> certificates; ///< Certificates/Certificate@name
  std::vector<std::string> imports;      ///< Imports/Import@moduleName

  const endpoint* find_endpoint(const std::string& name) const;
  const local_storage_resource* find_local_storage(const std::string& name) const;
};

struct service_definition {
  std::string name;
  int upgrade_domain_count = default_upgrade_domain_count;
  std::vector<role_definition> roles; ///< in document order

  const role_definition* find_role(const std::string& name) const;
};

} // namespace fabric::model
