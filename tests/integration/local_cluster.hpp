#pragma once

// The gtest fixture base of the integration tests on real processes: one
// fabric-coordinator and fabric-node processes on loopback, all data and
// logs under one temporary directory (kept when a test fails, removed
// otherwise), fabricctl runs, and the coordinator's JSON API.
//
// A test fixture derives from local_cluster and may change the knobs before
// it starts processes: `phase_ms` (instance phase durations), `node_capacity`,
// the detection policy (`heartbeat_ms`, `missed_heartbeats`: given to the
// coordinator AND to every node, so a node's own lease is as tolerant as the
// coordinator's detection even before its first register_ack, which hands
// the coordinator's policy over anyway), healing (`heal_delay_ms`,
// `restart_grace_ms`), `coordinator_extra` / `node_extra` (more flags).
// Defaults: heartbeats every 100 ms, down after 3 missed ones, healing at
// detection (heal delay 0, the binary's default is 30 s), the binary's
// restart grace. Waits are bounded polls (process_harness.hpp). Link
// PkgConfig::HTTPLIB and nlohmann_json. The one fixture of the real-process
// tests (tests/integration, tests/coordinator, tests/monitoring, tests/node).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/process_harness.hpp"

namespace fabric::testing {

/// The whole content of a file ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The detection policy of a real-process test. It goes to the coordinator
/// AND to every node (the node's own flags hold until the first register_ack
/// hands over the coordinator's): one place, so no fixture sets it on one side
/// only. Tolerant by default: a loaded 2-core machine stalls processes for
/// hundreds of ms; a test that kills nodes may make it faster.
struct detection_policy {
  int heartbeat_ms = 100;
  int missed_heartbeats = 3;
  std::vector<std::string> flags() const {
    return {"--heartbeat-ms", std::to_string(heartbeat_ms), "--missed-heartbeats",
            std::to_string(missed_heartbeats)};
  }
};

/// fabric-node's flags for a test node (data under `data_dir`, instance ports
/// on 127.0.0.1), then `extra`.
inline std::vector<std::string> node_flags(const std::string& coordinator_endpoint,
                                           const std::string& name, int fault_domain,
                                           const std::string& data_dir,
                                           const detection_policy& detection,
                                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--coordinator", coordinator_endpoint,
                                "--fault-domain", std::to_string(fault_domain),
                                "--name",         name,
                                "--data-dir",     data_dir,
                                "--instance-host", "127.0.0.1"};
  for (auto& f : detection.flags())
    args.push_back(f);
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct local_cluster : ::testing::Test {
  explicit local_cluster(const std::string& prefix = "fabric-it") : dir(temp_dir(prefix)) {}

  std::string bin_dir = FABRIC_BIN_DIR;
  std::string data_dir = FABRIC_TEST_DATA;
  std::string dir;
  int zmq_port = free_tcp_port();
  int api_port = free_tcp_port();
  std::string nodes_endpoint = "tcp://127.0.0.1:" + std::to_string(zmq_port);
  std::string url = "http://127.0.0.1:" + std::to_string(api_port);
  child_process coordinator;
  std::map<std::string, child_process> nodes;

  // -- knobs (set before starting processes) ----------------------------------
  std::string phase_ms = "create_vm=20,start_vm=20,start_role=20";
  int node_capacity = 10;
  /// Failure detection: a test that kills nodes wants it fast; one that does
  /// not should make it tolerant (a loaded 2-core CI machine can stall a
  /// process for a few hundred ms, which would look like a node loss).
  int heartbeat_ms = 100;
  int missed_heartbeats = 3;
  /// --heal-delay-ms: 0 heals a down node's instances at detection (what most
  /// tests want); the safety tests set it.
  int heal_delay_ms = 0;
  /// --restart-grace-ms; < 0: the binary's default.
  int restart_grace_ms = -1;
  std::vector<std::string> coordinator_extra;
  std::vector<std::string> node_extra;

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

  /// Starts (or restarts, on the same data dir) the coordinator and waits
  /// for its API. Fatal failure when it does not come up.
  detection_policy detection() const { return {heartbeat_ms, missed_heartbeats}; }

  void start_coordinator() {
    std::vector<std::string> args{"--nodes-listen",      nodes_endpoint,
                                  "--api-listen",        "127.0.0.1:" + std::to_string(api_port),
                                  "--data-dir",          dir + "/coordinator",
                                  "--phase-ms",          phase_ms,
                                  "--heal-delay-ms",     std::to_string(heal_delay_ms)};
    for (auto& f : detection().flags())
      args.push_back(f);
    if (restart_grace_ms >= 0)
      args.insert(args.end(), {"--restart-grace-ms", std::to_string(restart_grace_ms)});
    args.insert(args.end(), coordinator_extra.begin(), coordinator_extra.end());
    coordinator =
      child_process::spawn(bin_dir + "/fabric-coordinator", args, dir + "/coordinator.log");
    ASSERT_TRUE(wait_http_ready("127.0.0.1", api_port, "/fabric/v1/nodes"))
      << "see " << dir << "/coordinator.log";
  }

  /// Starts (or restarts) node `name` in fault domain `fd`; data under dir/name.
  void start_node(const std::string& name, int fd) {
    auto args = node_flags(nodes_endpoint, name, fd, dir + "/" + name, detection(),
                           {"--capacity", std::to_string(node_capacity)});
    args.insert(args.end(), node_extra.begin(), node_extra.end());
    nodes[name] = child_process::spawn(bin_dir + "/fabric-node", args, dir + "/" + name + ".log");
  }

  /// Runs fabricctl --coordinator URL args...; its exit status (-1 when it
  /// did not exit within 120 s), its output in `out`.
  int ctl(std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {"--coordinator", url});
    auto log = dir + "/fabricctl-" + std::to_string(calls_++) + ".out";
    auto p = child_process::spawn(bin_dir + "/fabricctl", args, log);
    auto st = p.wait(std::chrono::seconds(120));
    if (out)
      *out = slurp(log);
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }

  /// GET on the JSON API; null when there is no JSON answer.
  nlohmann::json get(const std::string& path) {
    auto j = get_json("127.0.0.1", api_port, path);
    return j ? *j : nlohmann::json{};
  }

  httplib::Result post(const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", api_port);
    return c.Post(path.c_str(), body, "application/json");
  }

  /// Any method on the API; status and parsed body (null when not JSON).
  std::pair<int, nlohmann::json> call(const std::string& method, const std::string& path,
                                      const std::string& body = "",
                                      const std::string& type = "application/json") {
    httplib::Client c("127.0.0.1", api_port);
    c.set_read_timeout(15, 0);
    httplib::Result r = method == "PUT"      ? c.Put(path.c_str(), body, type.c_str())
                        : method == "GET"    ? c.Get(path.c_str())
                        : method == "DELETE" ? c.Delete(path.c_str())
                                             : c.Post(path.c_str(), body, type.c_str());
    if (!r)
      return {0, nullptr};
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return {r->status, j.is_discarded() ? nlohmann::json(nullptr) : j};
  }

  /// True when exactly `n` nodes are up.
  bool nodes_up(std::size_t n) {
    auto j = get("/fabric/v1/nodes");
    std::size_t up = 0;
    if (j.contains("nodes"))
      for (auto& node : j["nodes"])
        up += node["state"] == "up";
    return up == n;
  }

  /// "up", "down", or "" for a node the coordinator does not know.
  std::string node_state(const std::string& name) {
    auto j = get("/fabric/v1/nodes");
    if (j.contains("nodes"))
      for (auto& n : j["nodes"])
        if (n["name"] == name)
          return n["state"];
    return "";
  }

  /// A file in the test's directory with `content`; its path.
  std::string write_file(const std::string& name, const std::string& content) {
    std::ofstream(dir + "/" + name) << content;
    return dir + "/" + name;
  }

  /// The instances (wire names) whose disks node `node` holds.
  std::set<std::string> on_disk(const std::string& node) {
    std::set<std::string> out;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(dir + "/" + node + "/instances", ec))
      out.insert(e.path().filename().string());
    return out;
  }

private:
  int calls_ = 0;
};

} // namespace fabric::testing
