#pragma once

// The service configuration (.cscfg): per role, the instance count, setting
// values and certificate thumbprints. A plain value; parsing and validation
// live in service_model_parser.hpp.

#include <map>
#include <string>
#include <vector>

namespace fabric::model {

struct certificate_ref {
  std::string name;
  std::string thumbprint;
  std::string thumbprint_algorithm;
};

struct role_configuration {
  std::string name;
  int instance_count = 1;
  std::map<std::string, std::string> settings;
  std::vector<certificate_ref> certificates;
  std::string os_image; ///< Role/OsImage@href (VM roles); empty when absent
};

struct service_configuration {
  std::string service_name;
  std::string os_family;  ///< root attribute osFamily; empty when absent
  std::string os_version; ///< root attribute osVersion; empty when absent
  std::vector<role_configuration> roles; ///< in document order

  const role_configuration* find_role(const std::string& name) const;
  role_configuration* find_role(const std::string& name);
};

} // namespace fabric::model
