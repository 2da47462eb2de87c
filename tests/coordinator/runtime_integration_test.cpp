// The runtime on real processes over loopback: fabric-coordinator, three
// fabric-node processes (one per fault domain) and fabricctl. Deploy with an
// image uploaded by fabricctl, node loss (kill -9) and healing, a returning
// node reconciled, a coordinator kill -9 and restart on the same data dir,
// and bad input that changes nothing. Waits are bounded polls.

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

struct runtime : testing::local_cluster {
  runtime() : local_cluster("fabric-runtime") {}

  nlohmann::json deployment() { return get("/fabric/v1/services/tw/deployments/production"); }

  bool all_ready_off(const std::string& excluded_node = "") {
    auto d = deployment();
    if (!d.contains("instances") || d["instances"].size() != 10)
      return false;
    for (auto& i : d["instances"])
      if (i["state"] != "ReadyRole" || i["node"] == excluded_node)
        return false;
    return true;
  }

};

TEST_F(runtime, deploy_heal_reconcile_restart_and_bad_input) {
  start_coordinator();
  start_node("n0", 0);
  start_node("n1", 1);
  start_node("n2", 2);
  ASSERT_TRUE(wait_until([&] { return nodes_up(3); }, 10s));

  // An image made in the test, uploaded by fabricctl.
  fs::create_directories(dir + "/image/site");
  std::ofstream(dir + "/image/site/index.html") << "<h1>tiny</h1>\n";
  std::string out;
  ASSERT_EQ(ctl({"image", "upload", "tiny", dir + "/image"}, &out), 0) << out;
  EXPECT_NE(out.find("image tiny uploaded"), std::string::npos) << out;
  ASSERT_EQ(ctl({"service", "create", "tw"}, &out), 0) << out;

  // Bad input: refused with the reason, nothing changes.
  auto before = get("/fabric/v1/services");
  auto csdef = data_dir + "/models/ten-web.csdef";
  auto cscfg = data_dir + "/models/ten-web.cscfg";
  EXPECT_EQ(ctl({"deploy", "--service", "nosuch", "--slot", "production", "--csdef", csdef,
                 "--cscfg", cscfg, "--image", "tiny"},
                &out),
            1);
  EXPECT_NE(out.find("hosted service 'nosuch' does not exist"), std::string::npos) << out;
  EXPECT_EQ(ctl({"deploy", "--service", "tw", "--slot", "prod", "--csdef", csdef, "--cscfg",
                 cscfg, "--image", "tiny"},
                &out),
            1);
  EXPECT_NE(out.find("unknown slot 'prod'"), std::string::npos) << out;
  std::ofstream(dir + "/broken.csdef") << "<ServiceDefinition name='x'><WebRole name='W'>";
  EXPECT_EQ(ctl({"deploy", "--service", "tw", "--slot", "production", "--csdef",
                 dir + "/broken.csdef", "--cscfg", cscfg, "--image", "tiny"},
                &out),
            1);
  EXPECT_NE(out.find("ServiceDefinition.csdef"), std::string::npos) << out;
  auto garbage = post("/fabric/v1/services/tw/deployments/production", "{\"csdef\": ");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_NE(garbage->body.find("not a JSON object"), std::string::npos) << garbage->body;
  auto no_service = post("/fabric/v1/services/nosuch/deployments/production", "{}");
  ASSERT_TRUE(no_service);
  EXPECT_EQ(no_service->status, 404);
  EXPECT_EQ(get("/fabric/v1/services"), before);

  // Deploy and wait: every instance ReadyRole, FDs spread over the 3 nodes.
  ASSERT_EQ(ctl({"deploy", "--service", "tw", "--slot", "production", "--csdef", csdef,
                 "--cscfg", cscfg, "--image", "tiny", "--name", "tw", "--wait", "--timeout",
                 "60"},
                &out),
            0)
    << out;
  ASSERT_TRUE(all_ready_off()) << deployment().dump(1);
  std::set<int> fds;
  std::map<std::string, std::string> placed;
  auto current = deployment();
  for (auto& i : current["instances"]) {
    fds.insert(i["fault_domain"].get<int>());
    placed[i["name"]] = i["node"];
    EXPECT_FALSE(i["endpoint"].get<std::string>().empty());
  }
  EXPECT_EQ(fds.size(), 3u);
  ASSERT_EQ(ctl({"status", "--service", "tw", "--slot", "production"}, &out), 0);
  EXPECT_NE(out.find("10/10 ReadyRole"), std::string::npos) << out;
  EXPECT_NE(out.find("Web_IN_9"), std::string::npos) << out;

  // kill -9 a node: its instances are re-placed on the others, ReadyRole again.
  nodes["n2"].kill_and_wait();
  ASSERT_TRUE(wait_until([&] { return all_ready_off("n2"); }, 20s)) << deployment().dump(1);
  auto n2_copies = on_disk("n2");
  EXPECT_FALSE(n2_copies.empty());

  // n2 comes back: its stale copies are removed, never run twice.
  start_node("n2", 2);
  ASSERT_TRUE(wait_until([&] { return nodes_up(3) && on_disk("n2").empty(); }, 20s))
    << "left on n2: " << on_disk("n2").size();
  for (auto& n : {"n0", "n1"})
    for (auto& w : on_disk(n))
      EXPECT_EQ(on_disk("n2").count(w), 0u);
  EXPECT_TRUE(all_ready_off("n2"));

  // Coordinator kill -9 and restart on the same data dir: same deployment,
  // ReadyRole again once the nodes re-registered.
  auto model_before = deployment();
  coordinator.kill_and_wait();
  start_coordinator();
  auto after = deployment();
  ASSERT_EQ(after["instances"].size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(after["instances"][i]["name"], model_before["instances"][i]["name"]);
    EXPECT_EQ(after["instances"][i]["node"], model_before["instances"][i]["node"]);
  }
  ASSERT_TRUE(wait_until([&] { return all_ready_off("n2"); }, 20s)) << deployment().dump(1);
  auto images = get("/fabric/v1/images");
  ASSERT_EQ(images["images"].size(), 1u);
  EXPECT_EQ(images["images"][0]["name"], "tiny");

  // Delete: every node removes the instances.
  ASSERT_EQ(ctl({"deployment", "delete", "--service", "tw", "--slot", "production", "--wait"},
                &out),
            0)
    << out;
  ASSERT_TRUE(wait_until(
    [&] { return on_disk("n0").empty() && on_disk("n1").empty() && on_disk("n2").empty(); },
    10s));
  EXPECT_EQ(ctl({"service", "delete", "tw"}, &out), 0) << out;
}

} // namespace
} // namespace fabric
