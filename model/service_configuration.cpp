#include "model/service_configuration.hpp"

namespace fabric::model {

const role_configuration* service_configuration::find_role(const std::string& name) const {
  for (const auto& role : roles)
    if (role.name == name)
      return &role;
  return nullptr;
}

role_configuration* service_configuration::find_role(const std::string& name) {
  for (auto& role : roles)
    if (role.name == name)
      return &role;
  return nullptr;
}

} // namespace fabric::model
