#pragma once

// A cluster on real processes for the deployment-operation tests: one
// fabric-coordinator, fabric-node processes (one per fault domain), fabricctl
// runs, the JSON API and the instances' own HTTP ports. Waits are bounded
// polls (process_harness.hpp). Used by operations_integration_test.cpp and
// tests/integration/seed_experiment_test.cpp.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/process_harness.hpp"

namespace fabric::testing {

struct operations_cluster : ::testing::Test {
  std::string bin_dir = FABRIC_BIN_DIR;
  std::string data_dir = FABRIC_TEST_DATA;
  std::string dir = temp_dir("fabric-ops");
  int zmq_port = free_tcp_port();
  int api_port = free_tcp_port();
  std::string nodes_endpoint = "tcp://127.0.0.1:" + std::to_string(zmq_port);
  std::string url = "http://127.0.0.1:" + std::to_string(api_port);
  child_process coordinator;
  std::map<std::string, child_process> nodes;
  int calls = 0;

  void TearDown() override {
    nodes.clear();
    coordinator.kill_and_wait();
    if (!HasFailure()) {
      namespace fs = std::filesystem;
      std::error_code ec;
      for (auto& e : fs::recursive_directory_iterator(dir, ec))
        if (e.is_directory(ec))
          fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
      fs::remove_all(dir, ec);
    }
  }

  /// Phases: short boots; RestartingRole lasts 600 ms and Aborted 1500 ms so a
  /// poll every 50 ms sees them.
  void start_coordinator() {
    coordinator = child_process::spawn(
      bin_dir + "/fabric-coordinator",
      {"--nodes-listen", nodes_endpoint, "--api-listen", "127.0.0.1:" + std::to_string(api_port),
       "--data-dir", dir + "/coordinator", "--heartbeat-ms", "100", "--missed-heartbeats", "3",
       "--seed", "1",
       "--phase-ms",
       "create_vm=20,start_vm=20,start_role=20,restart_role=600,abort_restart=1500,guest_op=20"},
      dir + "/coordinator.log");
    ASSERT_TRUE(wait_http_ready("127.0.0.1", api_port, "/fabric/v1/nodes"))
      << "see " << dir << "/coordinator.log";
  }

  void start_node(const std::string& name, int fd) {
    nodes[name] = child_process::spawn(
      bin_dir + "/fabric-node",
      {"--coordinator", nodes_endpoint, "--fault-domain", std::to_string(fd), "--name", name,
       "--data-dir", dir + "/" + name, "--heartbeat-ms", "100", "--capacity", "20",
       "--instance-host", "127.0.0.1"},
      dir + "/" + name + ".log");
  }

  bool nodes_up(std::size_t n) {
    auto j = get("/fabric/v1/nodes");
    std::size_t up = 0;
    if (j.contains("nodes"))
      for (auto& node : j["nodes"])
        up += node["state"] == "up";
    return up == n;
  }

  /// Coordinator and `count` nodes (FD i), an uploaded image "tiny" and the
  /// hosted service "svc".
  void start_cluster(int count) {
    using namespace std::chrono_literals;
    start_coordinator();
    for (int i = 0; i < count; ++i)
      start_node("n" + std::to_string(i), i);
    ASSERT_TRUE(wait_until([&] { return nodes_up(static_cast<std::size_t>(count)); }, 10s));
    std::filesystem::create_directories(dir + "/image/site");
    std::ofstream(dir + "/image/site/index.html") << "<h1>tiny</h1>\n";
    std::string out;
    ASSERT_EQ(ctl({"image", "upload", "tiny", dir + "/image"}, &out), 0) << out;
    ASSERT_EQ(ctl({"service", "create", "svc"}, &out), 0) << out;
  }

  /// Runs fabricctl --coordinator URL args...; its exit status, output in `out`.
  int ctl(std::vector<std::string> args, std::string* out = nullptr) {
    using namespace std::chrono_literals;
    args.insert(args.begin(), {"--coordinator", url});
    auto log = dir + "/fabricctl-" + std::to_string(calls++) + ".out";
    auto p = child_process::spawn(bin_dir + "/fabricctl", args, log);
    auto st = p.wait(120s);
    if (out) {
      std::ifstream in(log);
      *out = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }

  /// A file in the test's directory with `content`; its path.
  std::string write_file(const std::string& name, const std::string& content) {
    std::ofstream(dir + "/" + name) << content;
    return dir + "/" + name;
  }

  nlohmann::json get(const std::string& path) {
    auto j = get_json("127.0.0.1", api_port, path);
    return j ? *j : nlohmann::json{};
  }

  /// Any method on the API; status and parsed body (null when not JSON).
  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& path,
                                      const std::string& body = "",
                                      const std::string& type = "application/json") {
    httplib::Client c("127.0.0.1", api_port);
    c.set_read_timeout(15, 0);
    httplib::Result r = method == "PUT"    ? c.Put(path.c_str(), body, type.c_str())
                        : method == "GET"  ? c.Get(path.c_str())
                        : method == "DELETE" ? c.Delete(path.c_str())
                                             : c.Post(path.c_str(), body, type.c_str());
    if (!r)
      return {0, nullptr};
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return {r->status, j.is_discarded() ? nlohmann::json(nullptr) : j};
  }

  nlohmann::json deployment(const std::string& slot = "production") {
    return get("/fabric/v1/services/svc/deployments/" + slot);
  }

  /// Every instance of the slot's deployment ReadyRole with an endpoint that
  /// answers /health (optionally: exactly `count` of them).
  bool all_ready(const std::string& slot = "production", std::size_t count = 0) {
    auto d = deployment(slot);
    if (!d.contains("instances") || d["instances"].empty()
        || (count && d["instances"].size() != count))
      return false;
    for (auto& i : d["instances"]) {
      if (i["state"] != "ReadyRole")
        return false;
      auto ep = i["endpoint"].get<std::string>();
      auto colon = ep.rfind(':');
      if (colon == std::string::npos
          || !http_get(ep.substr(0, colon), std::stoi(ep.substr(colon + 1)), "/health"))
        return false;
    }
    return true;
  }

  /// The instance's field (e.g. "state", "endpoint") in GET deployment.
  std::string instance_field(const std::string& instance, const std::string& field,
                             const std::string& slot = "production") {
    auto d = deployment(slot);
    if (d.contains("instances"))
      for (auto& i : d["instances"])
        if (i["name"] == instance)
          return i[field].get<std::string>();
    return "";
  }

  /// An HTTP client of the instance's own port.
  httplib::Client instance_client(const std::string& instance,
                                  const std::string& slot = "production") {
    auto ep = instance_field(instance, "endpoint", slot);
    auto colon = ep.rfind(':');
    httplib::Client c(ep.substr(0, colon), colon == std::string::npos
                                              ? 0
                                              : std::stoi(ep.substr(colon + 1)));
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    return c;
  }
};

} // namespace fabric::testing
