#pragma once

// The fixture of the real-process tests that run on one deployment "tw" of
// tests/data/models/ten-web.* (one role, 10 instances, 5 UDs) over three
// nodes in three fault domains: the upgrade tests and the atomic-operation
// crash tests. No node is killed by these tests, so failure detection is
// tolerant of a loaded machine (200 ms x 10).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/local_cluster.hpp"

namespace fabric::testing {

struct ten_web_cluster : local_cluster {
  explicit ten_web_cluster(const std::string& prefix) : local_cluster(prefix) {
    heartbeat_ms = 200;
    missed_heartbeats = 10;
  }

  std::string csdef = data_dir + "/models/ten-web.csdef";
  std::string cscfg = data_dir + "/models/ten-web.cscfg";
  const std::string where = "/fabric/v1/services/tw/deployments/production";

  nlohmann::json deployment() { return get(where); }

  /// Every one of the 10 instances ReadyRole on `version`, no upgrade in flight.
  bool all_on(const std::string& version) {
    auto d = deployment();
    if (!d.contains("instances") || d["instances"].size() != 10 || !d["upgrade"].is_null())
      return false;
    for (auto& i : d["instances"])
      if (i["state"] != "ReadyRole" || i["version"] != version)
        return false;
    return true;
  }

  /// Uploads an image `name` whose site/index.html holds `content`.
  void make_image(const std::string& name, const std::string& content) {
    namespace fs = std::filesystem;
    fs::create_directories(dir + "/img-" + name + "/site");
    std::ofstream(dir + "/img-" + name + "/site/index.html") << content;
    std::string out;
    ASSERT_EQ(ctl({"image", "upload", name, dir + "/img-" + name}, &out), 0) << out;
  }

  /// A cluster with deployment "tw" on image v1, every instance ReadyRole;
  /// image v2 uploaded too.
  void deployed() {
    using namespace std::chrono_literals;
    start_coordinator();
    start_node("n0", 0);
    start_node("n1", 1);
    start_node("n2", 2);
    ASSERT_TRUE(wait_until([&] { return nodes_up(3); }, 20s));
    make_image("v1", "<h1>one</h1>\n");
    make_image("v2", "<h1>two</h1>\n");
    std::string out;
    ASSERT_EQ(ctl({"service", "create", "tw"}, &out), 0) << out;
    ASSERT_EQ(ctl({"deploy", "--service", "tw", "--slot", "production", "--csdef", csdef,
                   "--cscfg", cscfg, "--image", "v1", "--name", "tw", "--wait", "--timeout",
                   "90"},
                  &out),
              0)
      << out;
    ASSERT_TRUE(all_on("v1")) << deployment().dump(1);
  }
};

} // namespace fabric::testing
