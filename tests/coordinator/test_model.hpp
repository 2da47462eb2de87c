#pragma once

// Small models for the controller's tests, built with the model's own edits.

#include <string>
#include <vector>

#include "model/edit.hpp"

namespace fabric::coordinator::testing {

/// One deployment `dep` of service `svc` in production: role "Web" with the
/// given nodes (empty string = unplaced), UD i mod 5, FD from `fds`.
inline model::fabric_model one_deployment(const std::vector<std::string>& nodes,
                                          const std::vector<int>& fds,
                                          const std::string& svc = "svc",
                                          const std::string& dep = "dep",
                                          model::deployment_status status
                                          = model::deployment_status::running) {
  model::fabric_model m;
  (void) model::apply(m, model::create_hosted_service{svc, "", "", ""});
  model::deployment d;
  d.name = dep;
  d.package = std::string(64, 'a');
  d.version = "v1";
  d.status = status;
  model::role_definition role;
  role.name = "Web";
  role.kind = model::role_kind::web;
  role.local_storage.push_back({"scratch", 64, false});
  role.endpoints.push_back({"http", model::endpoint_kind::input, "http", 80, 0, 0, 0});
  d.definition.name = svc;
  d.definition.roles.push_back(role);
  model::role_configuration rc;
  rc.name = "Web";
  rc.instance_count = static_cast<int>(nodes.size());
  rc.settings["Greeting"] = "hello";
  d.configuration.roles.push_back(rc);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    model::instance inst;
    inst.name = model::instance_name("Web", static_cast<int>(i));
    inst.role = "Web";
    inst.index = static_cast<int>(i);
    inst.upgrade_domain = static_cast<int>(i % 5);
    inst.fault_domain = fds.at(i);
    inst.node = nodes[i];
    inst.version = "v1";
    d.instances.push_back(inst);
  }
  (void) model::apply(m, model::create_deployment{svc, model::slot::production, d});
  return m;
}

} // namespace fabric::coordinator::testing
