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

#include "tests/integration/local_cluster.hpp"

namespace fabric::testing {

struct operations_cluster : local_cluster {
  /// Phases: short boots; RestartingRole lasts 600 ms and Aborted 1500 ms so a
  /// poll every 50 ms sees them. A fixed seed for the reboot quirk.
  operations_cluster() : local_cluster("fabric-ops") {
    phase_ms = "create_vm=20,start_vm=20,start_role=20,restart_role=600,abort_restart=1500,"
               "guest_op=20";
    node_capacity = 20;
    coordinator_extra = {"--seed", "1"};
    // No node is killed here: detection tolerant of a loaded machine.
    heartbeat_ms = 200;
    missed_heartbeats = 10;
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
