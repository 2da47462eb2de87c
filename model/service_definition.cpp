#include "model/service_definition.hpp"

namespace fabric::model {

const char* to_string(role_kind kind) {
  switch (kind) {
    case role_kind::web:
      return "WebRole";
    case role_kind::worker:
      return "WorkerRole";
    case role_kind::virtual_machine:
      return "VirtualMachineRole";
  }
  return "unknown";
}

const char* to_string(endpoint_kind kind) {
  switch (kind) {
    case endpoint_kind::input:
      return "input";
    case endpoint_kind::internal:
      return "internal";
    case endpoint_kind::instance_input:
      return "instance-input";
  }
  return "unknown";
}

const endpoint* role_definition::find_endpoint(const std::string& name) const {
  for (const auto& ep : endpoints)
    if (ep.name == name)
      return &ep;
  return nullptr;
}

const local_storage_resource*
role_definition::find_local_storage(const std::string& name) const {
  for (const auto& ls : local_storage)
    if (ls.name == name)
      return &ls;
  return nullptr;
}

const role_definition* service_definition::find_role(const std::string& name) const {
  for (const auto& role : roles)
    if (role.name == name)
      return &role;
  return nullptr;
}

} // namespace fabric::model
