#pragma once

// Sample model values with every member set to something other than its
// default, for round-trip tests (model_json and the coordinator's model store).

#include <string>
#include <vector>

#include "model/deployment.hpp"
#include "model/edit.hpp"
#include "model/placement.hpp"

namespace fabric::test {

inline model::service_definition sample_definition() {
  using namespace fabric::model;
  service_definition d;
  d.name = "shop";
  d.upgrade_domain_count = 3;
  role_definition web;
  web.name = "Web";
  web.kind = role_kind::web;
  web.vm_size = "Medium";
  web.endpoints = {
    endpoint{"http", endpoint_kind::input, "http", 80, 8080, 0, 0},
    endpoint{"rpc", endpoint_kind::internal, "tcp", 0, 9000, 0, 0},
    endpoint{"rdp", endpoint_kind::instance_input, "tcp", 0, 3389, 10000, 10010},
  };
  web.local_storage = {local_storage_resource{"cache", 1024, false},
                       local_storage_resource{"logs", 20, true}};
  web.settings = {"Greeting", "Diagnostics.ConnectionString"};
  web.certificates = {"ssl"};
  web.imports = {"RemoteAccess"};
  role_definition worker;
  worker.name = "Worker";
  worker.kind = role_kind::worker;
  role_definition vm;
  vm.name = "Box";
  vm.kind = role_kind::virtual_machine;
  vm.vm_size = "ExtraLarge";
  d.roles = {web, worker, vm};
  return d;
}

inline model::service_configuration sample_configuration(int web = 4, int worker = 2) {
  using namespace fabric::model;
  service_configuration c;
  c.service_name = "shop";
  c.os_family = "6";
  c.os_version = "*";
  role_configuration w;
  w.name = "Web";
  w.instance_count = web;
  w.settings = {{"Greeting", "hello \"world\" \xc3\xa9"}, {"Diagnostics.ConnectionString", ""}};
  w.certificates = {certificate_ref{"ssl", "ABCDEF0123", "sha1"}};
  role_configuration k;
  k.name = "Worker";
  k.instance_count = worker;
  role_configuration b;
  b.name = "Box";
  b.instance_count = 1;
  b.os_image = "images/box-v1.vhd";
  c.roles = {w, k, b};
  return c;
}

inline model::upgrade_status sample_upgrade() {
  using namespace fabric::model;
  upgrade_status u;
  u.mode = upgrade_mode::manual;
  u.current_upgrade_domain = 2;
  u.current_state = upgrade_domain_state::during;
  u.walked = {0, 1};
  u.order = {0, 1, 2};
  u.role = "Web";
  u.from_version = "v1";
  u.target_version = "v2";
  u.target_package = "pkg-v2";
  u.force = true;
  u.surge = true;
  u.rolling_back = true;
  return u;
}

/// A deployment of sample_definition()/sample_configuration(), instances built
/// by the placement rules, then varied (states, nodes, versions).
inline model::deployment sample_deployment(const std::string& name = "d1", bool with_upgrade = true) {
  using namespace fabric::model;
  deployment d;
  d.name = name;
  d.label = "shop v1";
  d.package = "pkg-v1";
  d.version = "v1";
  d.in_slot = slot::production;
  d.status = deployment_status::running_transitioning;
  d.definition = sample_definition();
  d.configuration = sample_configuration();
  d.instances = build_instances(d.definition, d.configuration, d.version, 2).value();
  d.instances[0].state = instance_state::ready_role;
  d.instances[0].node = "node-a";
  d.instances[1].state = instance_state::role_state_unknown;
  d.instances[1].node = "node-b";
  d.instances[1].version = "v2";
  if (with_upgrade)
    d.upgrade = sample_upgrade();
  d.reboot_reimage_probability = 0.1;
  d.instance_reboot_reimage_probability = {{"Web_IN_0", 0.25}, {"Web_IN_1", 1.0 / 3.0}};
  return d;
}

/// One edit of every kind, every member set, in an order that applies to an
/// empty model without error.
inline std::vector<model::model_edit> sample_edits() {
  using namespace fabric::model;
  deployment staged = sample_deployment("d2", false);
  staged.in_slot = slot::staging;
  staged.status = deployment_status::running;
  return {
    create_hosted_service{"shop", "Shop", "the shop", "local"},
    create_hosted_service{"spare", "", "", ""},
    delete_hosted_service{"spare"},
    create_deployment{"shop", slot::production, sample_deployment("d1", false)},
    create_deployment{"shop", slot::staging, staged},
    set_deployment_status{"shop", slot::staging, deployment_status::suspended},
    set_instance_state{"shop", slot::production, "Web_IN_2", instance_state::busy_role},
    place_instance{"shop", slot::production, "Web_IN_2", "node-c", 1},
    set_instance_version{"shop", slot::production, "Web_IN_3", "v1.1"},
    set_configuration{"shop", slot::production, sample_configuration(5, 3), 3},
    set_reboot_reimage_probability{"shop", slot::production, "Worker_IN_0", 0.5},
    set_reboot_reimage_probability{"shop", slot::production, "", 0.125},
    begin_upgrade{"shop", slot::production, sample_upgrade()},
    update_upgrade{"shop", slot::production, 1, upgrade_domain_state::during, {0}, false},
    end_upgrade{"shop", slot::production, false},
    delete_deployment{"shop", slot::staging},
    swap_slots{"shop"},
  };
}

} // namespace fabric::test
