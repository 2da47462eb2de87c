// A paused node (kill -STOP, then -CONT) must not leave an instance running
// twice: real fabric-coordinator, three fabric-node processes (one per FD)
// and fabricctl on loopback. A 10-instance deployment; one node is stopped
// long enough to be declared down and its instances healed elsewhere; then
// it continues. Afterwards every instance is on exactly one node - in the
// model, on the nodes' disks, and behind the HTTP ports (the paused node's
// old ports answer for nobody, or for the instance the model says lives
// there). Waits are bounded polls.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tests/integration/local_cluster.hpp"

namespace fabric {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::child_process;
using testing::wait_until;

struct pause_cluster : testing::local_cluster {
  pause_cluster() : local_cluster("fabric-pause") {}

  nlohmann::json deployment() { return get("/fabric/v1/services/tw/deployments/production"); }

  bool all_ready_off(const std::string& excluded) {
    auto d = deployment();
    if (!d.contains("instances") || d["instances"].size() != 10)
      return false;
    for (auto& i : d["instances"])
      if (i["state"] != "ReadyRole" || i["node"] == excluded)
        return false;
    return true;
  }

  /// Wire name -> the nodes whose data dir holds its disks.
  std::map<std::string, std::set<std::string>> disks_by_instance() {
    std::map<std::string, std::set<std::string>> out;
    for (auto& [name, p] : nodes)
      for (auto& w : on_disk(name))
        out[w].insert(name);
    return out;
  }
};

TEST_F(pause_cluster, a_paused_node_that_continues_leaves_no_instance_running_twice) {
  start_coordinator();
  for (int i = 0; i < 3; ++i)
    start_node("n" + std::to_string(i), i);
  ASSERT_TRUE(wait_until(
    [&] { return node_state("n0") == "up" && node_state("n1") == "up" && node_state("n2") == "up"; },
    10s));

  fs::create_directories(dir + "/image/site");
  std::ofstream(dir + "/image/site/index.html") << "<h1>pause</h1>\n";
  std::string out;
  ASSERT_EQ(ctl({"image", "upload", "tiny", dir + "/image"}, &out), 0) << out;
  ASSERT_EQ(ctl({"service", "create", "tw"}, &out), 0) << out;
  ASSERT_EQ(ctl({"deploy", "--service", "tw", "--slot", "production", "--csdef",
                 data_dir + "/models/ten-web.csdef", "--cscfg", data_dir + "/models/ten-web.cscfg",
                 "--image", "tiny", "--name", "tw", "--wait", "--timeout", "60"},
                &out),
            0)
    << out;
  ASSERT_TRUE(all_ready_off("")) << deployment().dump(1);

  // The paused node's instances and their HTTP endpoints before the pause.
  std::map<std::string, std::string> paused_endpoints;  // model name -> host:port
  auto dep = deployment();  // named: the loop reads into it
  for (auto& i : dep["instances"])
    if (i["node"] == "n1")
      paused_endpoints[i["name"]] = i["endpoint"];
  ASSERT_FALSE(paused_endpoints.empty());

  // STOP long enough to be declared down and healed elsewhere.
  nodes["n1"].signal(SIGSTOP);
  ASSERT_TRUE(wait_until([&] { return node_state("n1") == "down"; }, 10s));
  ASSERT_TRUE(wait_until([&] { return all_ready_off("n1"); }, 20s)) << deployment().dump(1);

  // CONT: it fences, registers again and drops its stale copies.
  nodes["n1"].signal(SIGCONT);
  ASSERT_TRUE(wait_until([&] { return node_state("n1") == "up"; }, 10s));
  auto model = deployment();
  std::map<std::string, std::string> placed;  // wire name -> node
  for (auto& i : model["instances"])
    placed["tw." + i["name"].get<std::string>()] = i["node"];
  ASSERT_TRUE(wait_until(
    [&] {
      auto disks = disks_by_instance();
      for (auto& [wire, where] : disks)
        if (where.size() != 1 || !placed.count(wire) || *where.begin() != placed[wire])
          return false;
      return disks.size() == placed.size();
    },
    20s))
    << "n1 still holds: " << on_disk("n1").size() << " instance(s)";

  // The model: every instance on exactly one live node, all ReadyRole.
  EXPECT_TRUE(all_ready_off("n1")) << deployment().dump(1);
  // The nodes' disks: every instance exactly once, on its model node.
  for (auto& [wire, where] : disks_by_instance()) {
    EXPECT_EQ(where.size(), 1u) << wire;
    EXPECT_EQ(*where.begin(), placed[wire]) << wire;
  }
  // The HTTP ports: whatever answers on an old endpoint of n1 is the
  // instance the model places behind that endpoint now (a port the kernel
  // gave to another instance), never the paused copy.
  std::map<std::string, std::string> by_endpoint;  // host:port -> model name
  auto after = deployment();
  for (auto& i : after["instances"])
    by_endpoint[i["endpoint"]] = i["name"];
  for (auto& [name, ep] : paused_endpoints) {
    auto colon = ep.rfind(':');
    ASSERT_NE(colon, std::string::npos) << ep;
    auto env = testing::get_json(ep.substr(0, colon), std::stoi(ep.substr(colon + 1)),
                                 "/role-environment");
    if (!env)
      continue;  // closed: the paused copy is gone
    ASSERT_TRUE(by_endpoint.count(ep)) << ep << " answers as " << env->dump();
    EXPECT_NE(env->value("instance_id", "").find(by_endpoint[ep]), std::string::npos)
      << ep << " answers as " << env->dump();
  }
  // Every current endpoint answers for its own instance.
  auto final_model = deployment();
  for (auto& i : final_model["instances"]) {
    std::string ep = i["endpoint"];
    auto colon = ep.rfind(':');
    ASSERT_NE(colon, std::string::npos) << ep;
    auto env = testing::get_json(ep.substr(0, colon), std::stoi(ep.substr(colon + 1)),
                                 "/role-environment");
    ASSERT_TRUE(env) << ep;
    EXPECT_NE(env->value("instance_id", "").find(i["name"].get<std::string>()),
              std::string::npos)
      << env->dump();
  }
}

} // namespace
} // namespace fabric
