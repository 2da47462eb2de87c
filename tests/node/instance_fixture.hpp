#pragma once

// Fixture for the node's instance actors on CAF's deterministic scheduler:
// a real data directory (disk store) with two base images, an instance
// manager, captured reports and image requests, and a client actor that
// sends commands and keeps the results.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "node/instance_manager.hpp"
#include "node/node_actor.hpp"
#include "tests/actors/test_system.hpp"
#include "tests/disk/disk_test_util.hpp"

namespace fabric::node::test {

using namespace std::chrono_literals;

struct instance_fixture : disk::test::temp_dir_test {
  testing::deterministic_system ds;
  std::string image_v1, image_v2;
  std::shared_ptr<instance_env> env = std::make_shared<instance_env>();
  std::shared_ptr<std::vector<protocol::instance_report>> reports
    = std::make_shared<std::vector<protocol::instance_report>>();
  std::shared_ptr<instance_board> board = std::make_shared<instance_board>();
  std::shared_ptr<std::vector<protocol::image_request>> image_requests
    = std::make_shared<std::vector<protocol::image_request>>();
  std::shared_ptr<std::vector<protocol::instance_command_result>> results
    = std::make_shared<std::vector<protocol::instance_command_result>>();
  caf::actor manager;
  caf::actor client;
  uint64_t next_id = 1;

  instance_fixture() {
    auto src = root() / "src";
    disk::test::put(src / "v1/Windows/system.ini", "[boot] v1");
    disk::test::put(src / "v1/app/site.cfg", "site v1");
    disk::test::put(src / "v2/Windows/system.ini", "[boot] v2");
    disk::test::put(src / "v2/app/site.cfg", "site v2");
    images::image_store images{data()};
    image_v1 = images.import_directory(src / "v1").value();
    image_v2 = images.import_directory(src / "v2").value();
    env->data_dir = data();
    env->report = [r = reports, b = board](const protocol::instance_report& rep) {
      r->push_back(rep);
      b->update(rep);
    };
  }

  ~instance_fixture() override {
    caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    ds.run();
  }

  void start_manager(uint32_t capacity = 100) {
    if (client)
      caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
    instance_manager_config cfg;
    cfg.env = env;
    cfg.capacity = capacity;
    cfg.request_image = [r = image_requests](const protocol::image_request& q) {
      r->push_back(q);
    };
    manager = ds.sys->spawn(instance_manager, cfg);
    auto mgr = manager;
    auto res = results;
    client = ds.sys->spawn([mgr, res](caf::event_based_actor* self) -> caf::behavior {
      return {[=](const protocol::instance_command& cmd) {
        self->request(mgr, caf::infinite, cmd)
          .then([res](const protocol::instance_command_result& r) { res->push_back(r); });
      }};
    });
    ds.run();
  }

  /// A spec of role "Web" with resources LocalStore (kept on recycle) and
  /// Cache (cleanOnRoleRecycle), phases of 100 ms (abort_restart 1000 ms).
  protocol::instance_spec spec(const std::string& name = "Web_IN_0",
                               const std::string& version = "v1") {
    protocol::instance_spec s;
    s.name = name;
    s.role = "Web";
    s.service = "shop";
    s.deployment = "dep-1";
    s.slot = "production";
    s.version = version;
    s.image_digest = version == "v1" ? image_v1 : image_v2;
    s.upgrade_domain = 1;
    s.fault_domain = 2;
    s.local_storage = {{"LocalStore", 1, false}, {"Cache", 1, true}};
    s.endpoints = {{"http", "http", 80}};
    s.settings = {{"Greeting", "hello"}};
    for (auto* p : {"create_vm", "start_vm", "start_role", "restart_role", "stop_role", "stop_vm"})
      s.phase_durations_ms[p] = 100;
    s.phase_durations_ms["abort_restart"] = 1000;
    return s;
  }

  /// Sends a command and runs everything that is due now (no time passes).
  void command(protocol::command_kind kind, protocol::instance_spec s,
               bool degenerates = false) {
    protocol::instance_command cmd;
    cmd.command_id = next_id++;
    cmd.kind = kind;
    cmd.instance = std::move(s);
    cmd.reboot_degenerates = degenerates;
    caf::anon_send(client, cmd);
    ds.run();
  }

  protocol::instance_command_result last_result() {
    EXPECT_FALSE(results->empty());
    return results->empty() ? protocol::instance_command_result{} : results->back();
  }

  /// Lets `d` of simulated time pass (10 ms steps).
  void advance(std::chrono::milliseconds d) { ds.advance(d, 10ms); }

  /// The states reported for `name` since the last call.
  std::vector<std::string> states(const std::string& name = "Web_IN_0") {
    std::vector<std::string> out;
    for (const auto& r : *reports)
      if (r.instance_name == name)
        out.push_back(r.state);
    reports->clear();
    return out;
  }

  caf::actor instance(const std::string& name = "Web_IN_0") {
    auto& st = ds.state_of<instance_manager_state>(manager);
    auto it = st.instances.find(name);
    return it == st.instances.end() ? caf::actor{} : it->second;
  }

  std::shared_ptr<instance_shared> shared(const std::string& name = "Web_IN_0") {
    return ds.state_of<instance_actor_state>(instance(name)).shared;
  }

  http_response http(const std::string& method, const std::string& path,
                     const std::string& body = {}, const std::string& name = "Web_IN_0") {
    http_request req{method, path, "", body};
    auto resp = serve_instance(*shared(name), req);
    ds.run();
    return resp;
  }

  /// Starts Web_IN_0 and brings it to ReadyRole.
  void ready(const std::string& name = "Web_IN_0") {
    command(protocol::command_kind::start, spec(name));
    ASSERT_TRUE(last_result().ok) << last_result().error;
    advance(300ms);
    ASSERT_EQ(shared(name)->state, model::instance_state::ready_role);
  }

  /// The file as the disk store sees it now ("" + missing flag otherwise).
  std::optional<std::string> os_file(const std::string& path,
                                     const std::string& name = "Web_IN_0") {
    auto d = disk::instance_disks::open(data(), name);
    if (!d)
      return std::nullopt;
    auto r = d->os().read(path);
    return r ? std::optional<std::string>(*r) : std::nullopt;
  }
  std::optional<std::string> local_file(const std::string& resource, const std::string& path,
                                        const std::string& name = "Web_IN_0") {
    auto d = disk::instance_disks::open(data(), name);
    if (!d)
      return std::nullopt;
    auto store = d->local(resource);
    if (!store)
      return std::nullopt;
    auto r = (*store)->read(path);
    return r ? std::optional<std::string>(*r) : std::nullopt;
  }
};

} // namespace fabric::node::test
