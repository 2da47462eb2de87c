// The seed's experiment, end to end on real processes (docs/domain.md §4):
// for each operation, write a marker file to the OS disk and to a local
// storage resource of an instance through its own HTTP port, run the
// operation (through fabricctl, or from inside the guest for the guest
// operations), wait until every instance is ReadyRole again, and read the
// markers back. Every cell of the summary table must hold.

#include <gtest/gtest.h>

#include <iomanip>
#include <sstream>

#include "tests/coordinator/operations_cluster.hpp"

namespace fabric {
namespace {

using namespace std::chrono_literals;
using testing::wait_until;

enum class os { kept, reset };
enum class local { kept, wiped };

struct row {
  std::string operation;
  os os_disk;
  local local_storage;
};

// The summary table of the field report, as this project must reproduce it.
//
//   operation                      OS disk (differencing layer)   local storage
//   ------------------------------ ------------------------------ -------------
const std::vector<row> expected_table{
  {"reboot",                        os::kept,                      local::kept},
  {"reboot (quirk: reimage)",       os::reset,                     local::kept},
  {"reimage",                       os::reset,                     local::kept},
  {"rebuild",                       os::reset,                     local::wiped},
  {"guest restart",                 os::kept,                      local::kept},
  {"guest shutdown",                os::kept,                      local::kept},
  {"stop, then start",              os::kept,                      local::kept},
  {"republish",                     os::reset,                     local::wiped},
  {"delete, then deploy",           os::reset,                     local::wiped},
};

const char* to_string(os o) { return o == os::kept ? "kept" : "reset"; }
const char* to_string(local l) { return l == local::kept ? "kept" : "wiped"; }

struct seed_experiment : testing::operations_cluster {
  const std::string instance = "Web_IN_0";
  std::string csdef, cscfg;

  void deploy() {
    std::string out;
    ASSERT_EQ(ctl({"deploy", "--service", "svc", "--slot", "production", "--csdef", csdef,
                   "--cscfg", cscfg, "--image", "tiny", "--name", "exp", "--wait", "--timeout",
                   "60"},
                  &out),
              0)
      << out;
    ASSERT_TRUE(wait_until([&] { return all_ready(); }, 20s)) << deployment().dump(1);
  }

  /// PUT the marker of `tag` into the OS disk and the local storage "scratch".
  void write_markers(const std::string& tag) {
    auto c = instance_client(instance);
    auto a = c.Put(("/disk/os/markers/" + tag).c_str(), "os " + tag, "text/plain");
    ASSERT_TRUE(a);
    ASSERT_EQ(a->status / 100, 2) << a->body;
    auto b = c.Put(("/disk/local/scratch/markers/" + tag).c_str(), "local " + tag, "text/plain");
    ASSERT_TRUE(b);
    ASSERT_EQ(b->status / 100, 2) << b->body;
    // Both readable before the operation: an "absent" afterwards means lost.
    ASSERT_EQ(c.Get(("/disk/os/markers/" + tag).c_str())->body, "os " + tag);
  }

  /// Reads the markers back: is each one still there?
  std::pair<os, local> read_markers(const std::string& tag) {
    auto c = instance_client(instance);
    auto a = c.Get(("/disk/os/markers/" + tag).c_str());
    auto b = c.Get(("/disk/local/scratch/markers/" + tag).c_str());
    EXPECT_TRUE(a && b);
    if (a && a->status == 200) {
      EXPECT_EQ(a->body, "os " + tag);
    }
    if (b && b->status == 200) {
      EXPECT_EQ(b->body, "local " + tag);
    }
    return {a && a->status == 200 ? os::kept : os::reset,
            b && b->status == 200 ? local::kept : local::wiped};
  }

  /// Polls until the instance is seen in `state` (a transient state that
  /// lasts at least 600 ms, see operations_cluster's phases).
  bool seen_in(const std::string& state) {
    return wait_until([&] { return instance_field(instance, "state") == state; }, 10s, 20ms);
  }

  /// Runs one operation of the table; false (with a failure) when it could
  /// not be run.
  void run(const std::string& operation) {
    std::string out;
    auto ok = [&](std::vector<std::string> args) {
      ASSERT_EQ(ctl(args, &out), 0) << operation << ": " << out;
    };
    std::vector<std::string> where{"--service", "svc", "--slot", "production"};
    auto with = [&](std::vector<std::string> args, std::vector<std::string> more = {}) {
      args.insert(args.end(), where.begin(), where.end());
      args.insert(args.end(), more.begin(), more.end());
      args.push_back("--wait");
      return args;
    };
    if (operation == "reboot") {
      ok(with({"reboot"}, {"--instance", instance}));
      EXPECT_EQ(out.find("degenerates"), std::string::npos) << out;
    } else if (operation == "reboot (quirk: reimage)") {
      ok(with({"quirk"}, {"--probability", "1"}));
      ok(with({"reboot"}, {"--instance", instance}));
      EXPECT_NE(out.find("degenerates into a reimage"), std::string::npos) << out;
      ok(with({"quirk"}, {"--probability", "0"}));
    } else if (operation == "reimage" || operation == "rebuild") {
      ok(with({operation}, {"--instance", instance}));
    } else if (operation == "guest restart" || operation == "guest shutdown") {
      auto shutdown = operation == "guest shutdown";
      auto c = instance_client(instance);
      auto r = c.Post(shutdown ? "/guest/shutdown" : "/guest/restart", "", "text/plain");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 202) << r->body;
      // The fabric notices: Aborted (then restarted by itself), or the restart.
      EXPECT_TRUE(seen_in(shutdown ? "Aborted" : "RestartingRole")) << deployment().dump(1);
    } else if (operation == "stop, then start") {
      ok(with({"stop"}));
      auto d = deployment();
      EXPECT_EQ(d["status"], "Suspended");
      for (auto& i : d["instances"])
        EXPECT_EQ(i["state"], "StoppedVM") << i.dump();
      ok(with({"start"}));
    } else if (operation == "republish") {
      ok(with({"redeploy"}));
    } else if (operation == "delete, then deploy") {
      ok(with({"deployment", "delete"}));
      EXPECT_EQ(call("GET", "/fabric/v1/services/svc/deployments/production").first, 404);
      deploy();
    } else {
      FAIL() << "no such operation in the experiment: " << operation;
    }
  }
};

TEST_F(seed_experiment, every_cell_of_the_summary_table_holds) {
  start_cluster(2);
  csdef = data_dir + "/models/ten-web.csdef";  // LocalStorage scratch, cleanOnRoleRecycle=false
  cscfg = write_file("two.cscfg", R"(<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="TenWeb">
  <Role name="Web">
    <Instances count="2" />
    <ConfigurationSettings><Setting name="Greeting" value="hello" /></ConfigurationSettings>
  </Role>
</ServiceConfiguration>
)");
  deploy();

  std::vector<row> observed;
  int n = 0;
  for (auto& expected : expected_table) {
    SCOPED_TRACE(expected.operation);
    auto tag = "m" + std::to_string(n++);
    write_markers(tag);
    if (HasFatalFailure())
      return;
    run(expected.operation);
    if (HasFatalFailure())
      return;
    ASSERT_TRUE(wait_until([&] { return all_ready("production", 2); }, 30s))
      << expected.operation << ": " << deployment().dump(1);
    auto [o, l] = read_markers(tag);
    observed.push_back({expected.operation, o, l});
    EXPECT_EQ(to_string(o), std::string(to_string(expected.os_disk))) << expected.operation;
    EXPECT_EQ(to_string(l), std::string(to_string(expected.local_storage)))
      << expected.operation;
  }

  std::ostringstream table;
  table << std::left << std::setw(26) << "operation" << std::setw(10) << "OS disk"
        << "local storage\n";
  for (auto& r : observed)
    table << std::setw(26) << r.operation << std::setw(10) << to_string(r.os_disk)
          << to_string(r.local_storage) << "\n";
  std::cout << table.str();
  EXPECT_EQ(observed.size(), expected_table.size());
}

} // namespace
} // namespace fabric
