// After a coordinator restart the live node table starts empty: a node the
// model places instances on that never registers again must still be
// declared down and its instances healed (controller::expire_unseen_nodes,
// armed by the controller actor unseen_node_grace after it starts).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "coordinator/api_json.hpp"
#include "coordinator/controller.hpp"
#include "coordinator/image_catalog.hpp"
#include "tests/integration/process_harness.hpp"

namespace fabric::coordinator {
namespace {

namespace fs = std::filesystem;
using protocol::command_kind;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct restart_grace : ::testing::Test {
  std::string dir = fabric::testing::temp_dir("fabric-grace");
  memory_model_port store;
  image_catalog images{fs::path(dir) / "coordinator"};

  void SetUp() override {
    ASSERT_TRUE(images.load().ok());
    fs::create_directories(fs::path(dir) / "tree");
    std::ofstream(fs::path(dir) / "tree" / "app") << "x";
    images::image_store scratch{fs::path(dir) / "scratch"};
    auto digest = scratch.import_directory(fs::path(dir) / "tree");
    ASSERT_TRUE(digest.ok());
    std::ostringstream archive;
    ASSERT_TRUE(scratch.export_image(*digest, archive).ok());
    ASSERT_TRUE(images.add("base", archive.str()).ok());
  }

  void TearDown() override {
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir, ec))
      if (e.is_directory(ec))
        fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }

  /// Deploys ten instances over n1, n2, n3 (one per FD) and returns.
  void deploy_on_three(controller& c) {
    for (int fd = 0; fd < 3; ++fd) {
      auto name = "n" + std::to_string(fd + 1);
      c.on_node_up({name, fd, 10, "peer-" + name, 1, true}, {});
    }
    ASSERT_EQ(json_api::create_service(c, R"({"name":"svc"})").status, 201);
    nlohmann::json body{{"csdef", read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef")},
                        {"cscfg", read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.cscfg")},
                        {"image", "base"},
                        {"name", "tw"}};
    ASSERT_EQ(json_api::start_operation(c, "deploy", {"svc", "production", body.dump()}).status,
              202);
    c.take_outbound();
  }

  std::map<std::string, int> per_node(const controller& c) {
    std::map<std::string, int> out;
    auto d = json_api::get_deployment(c, "svc", "production").body;
    for (auto& i : d["instances"])
      ++out[i["node"].get<std::string>()];
    return out;
  }
};

TEST_F(restart_grace, a_node_that_never_registers_after_a_restart_is_declared_down_and_healed) {
  {
    controller first{store, &images};
    deploy_on_three(first);
  }
  // Restart: n1 and n2 come back, n3 never does.
  controller restarted{store, &images};
  ASSERT_GT(per_node(restarted)["n3"], 0);
  restarted.on_node_up({"n1", 0, 10, "peer-n1", 2, true}, {});
  restarted.on_node_up({"n2", 1, 10, "peer-n2", 3, true}, {});
  restarted.take_outbound();

  auto expired = restarted.expire_unseen_nodes();
  EXPECT_EQ(expired, std::vector<std::string>{"n3"});
  auto placed = per_node(restarted);
  EXPECT_EQ(placed.count("n3"), 0u);
  EXPECT_EQ(placed["n1"] + placed["n2"], 10);
  auto moves = restarted.take_outbound();
  ASSERT_FALSE(moves.empty());
  for (auto& m : moves) {
    EXPECT_EQ(m.command.kind, command_kind::migrate_in);
    EXPECT_NE(m.node, "n3");
  }
  EXPECT_FALSE(restarted.nodes().at("n3").up);
  EXPECT_EQ(restarted.counters().replacements, moves.size());

  // Nothing more to expire; a late registration of n3 removes its copies.
  EXPECT_TRUE(restarted.expire_unseen_nodes().empty());
  restarted.on_node_up({"n3", 2, 10, "peer-n3", 4, true},
                       {{"tw.Web_IN_0", "tw", "base", true, {}}});
  auto back = restarted.take_outbound();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].command.kind, command_kind::remove);
}

TEST_F(restart_grace, nodes_that_registered_in_time_are_left_alone) {
  {
    controller first{store, &images};
    deploy_on_three(first);
  }
  controller restarted{store, &images};
  for (int fd = 0; fd < 3; ++fd) {
    auto name = "n" + std::to_string(fd + 1);
    restarted.on_node_up({name, fd, 10, "peer-" + name, 5, true}, {});
  }
  restarted.take_outbound();
  auto before = per_node(restarted);
  EXPECT_TRUE(restarted.expire_unseen_nodes().empty());
  EXPECT_TRUE(restarted.take_outbound().empty());
  EXPECT_EQ(per_node(restarted), before);
  EXPECT_EQ(restarted.counters().replacements, 0u);
}

TEST_F(restart_grace, an_empty_model_expires_nothing) {
  controller c{store, &images};
  EXPECT_TRUE(c.expire_unseen_nodes().empty());
  EXPECT_TRUE(c.nodes().empty());
}

} // namespace
} // namespace fabric::coordinator
