// An instance's HTTP API: the handler itself (serve_instance) on the
// deterministic scheduler, and the real port opened through http_ports while
// the instance runs and closed when it stops.

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/node/instance_fixture.hpp"

namespace fabric::node::test {
namespace {

using k = protocol::command_kind;
using json = nlohmann::json;

TEST_F(instance_fixture, role_environment_describes_the_instance) {
  start_manager();
  ready();
  auto r = http("GET", "/role-environment");
  ASSERT_EQ(r.status, 200);
  auto j = json::parse(r.body);
  EXPECT_EQ(j["instance_id"], "Web_IN_0");
  EXPECT_EQ(j["role"], "Web");
  EXPECT_EQ(j["deployment"], "dep-1");
  EXPECT_EQ(j["service"], "shop");
  EXPECT_EQ(j["slot"], "production");
  EXPECT_EQ(j["version"], "v1");
  EXPECT_EQ(j["upgrade_domain"], 1);
  EXPECT_EQ(j["fault_domain"], 2);
  EXPECT_EQ(j["settings"]["Greeting"], "hello");
  ASSERT_EQ(j["local_resources"].size(), 2u);
  auto& store = j["local_resources"][0];
  EXPECT_EQ(store["name"], "LocalStore");
  EXPECT_EQ(store["quota_bytes"], 1048576);
  EXPECT_EQ(store["path"], (data() / "instances/Web_IN_0/local/LocalStore").string());
  EXPECT_EQ(store["used_bytes"], 0);
}

TEST_F(instance_fixture, health_is_200_only_when_ready) {
  start_manager();
  command(k::start, spec());
  advance(200ms); // StartingRole
  auto r = http("GET", "/health");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["state"], "StartingRole");
  advance(100ms);
  r = http("GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["state"], "ReadyRole");
}

TEST_F(instance_fixture, disk_files_round_trip_through_http) {
  start_manager();
  ready();
  EXPECT_EQ(http("PUT", "/disk/os/app/site.cfg", "mine").status, 200);
  auto r = http("GET", "/disk/os/app/site.cfg");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "mine");
  EXPECT_EQ(http("GET", "/disk/os/Windows/system.ini").body, "[boot] v1");
  auto list = json::parse(http("GET", "/disk/os/app").body);
  EXPECT_EQ(list["entries"][0]["name"], "site.cfg");
  EXPECT_EQ(http("DELETE", "/disk/os/app/site.cfg").status, 200);
  auto gone = http("GET", "/disk/os/app/site.cfg");
  EXPECT_EQ(gone.status, 404) << gone.body;
  EXPECT_EQ(http("PUT", "/disk/local/Cache/a/b.txt", "abc").status, 200);
  EXPECT_EQ(http("GET", "/disk/local/Cache/a/b.txt").body, "abc");
}

TEST_F(instance_fixture, quota_exceeded_is_507_with_the_message) {
  start_manager();
  ready();
  auto r = http("PUT", "/disk/local/Cache/big.bin", std::string(1048577, 'x'));
  EXPECT_EQ(r.status, 507);
  EXPECT_EQ(json::parse(r.body)["error"],
            "local storage 'Cache' is full: writing 'big.bin' (1048577 bytes) would bring it "
            "to 1048577 bytes, over its quota of 1048576 bytes (sizeInMB=1); nothing was "
            "changed");
}

TEST_F(instance_fixture, bad_paths_are_400_and_missing_ones_404) {
  start_manager();
  ready();
  auto r = http("PUT", "/disk/os/../escape.txt", "x");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find(".."), std::string::npos)
    << r.body;
  r = http("GET", "/disk/os/nothing/here.txt");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"], "no such file or directory: 'nothing/here.txt'");
  r = http("GET", "/disk/local/Nope/x");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("has no local storage 'Nope'"), std::string::npos) << r.body;
  EXPECT_EQ(http("GET", "/elsewhere").status, 404);
  EXPECT_EQ(http("POST", "/health").status, 405);
}

TEST_F(instance_fixture, guest_operations_are_refused_when_the_guest_is_not_running) {
  start_manager();
  command(k::start, spec()); // CreatingVM
  auto r = http("POST", "/guest/shutdown");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body)["error"],
            "guest_shutdown is not allowed in state CreatingVM: the guest OS is not running");
}

TEST_F(instance_fixture, the_port_is_open_only_while_the_instance_runs) {
  http_ports ports;
  env->ports = &ports;
  env->host = "127.0.0.1";
  start_manager();
  ready();
  ASSERT_EQ(ports.port_count(), 1u);
  auto endpoint = board->snapshot().at(0).endpoint;
  ASSERT_EQ(endpoint.rfind("127.0.0.1:", 0), 0u) << endpoint;
  int port = std::stoi(endpoint.substr(10));
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto put = cli.Put("/disk/local/LocalStore/f.txt", "via port", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200);
  EXPECT_EQ(local_file("LocalStore", "f.txt"), "via port");

  command(k::stop, spec());
  EXPECT_EQ(ports.port_count(), 0u); // closed as soon as the role stops
  advance(200ms);
  EXPECT_EQ(board->snapshot().at(0).endpoint, "");
  command(k::start, spec());
  advance(300ms);
  EXPECT_EQ(ports.port_count(), 1u);
  EXPECT_EQ(board->snapshot().at(0).endpoint, endpoint); // the same port again
  // The actors must be gone before `ports`.
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  ds.run();
  EXPECT_EQ(ports.port_count(), 0u);
}

} // namespace
} // namespace fabric::node::test
