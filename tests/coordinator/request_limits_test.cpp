// Issue 14: a request for 1,000,000,000 instances (a .cscfg, or fabricctl
// scale, which is a change of configuration) built every instance before the
// capacity check and took the coordinator down. Every path that takes a
// .cscfg (deploy, change_configuration, redeploy, upgrade) now refuses counts
// over the count limits (coordinator/plan_support.hpp, over_limits) with a 400 before anything is
// built; before the fix each of these cases ran out of memory.

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

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tiny_archive(const fs::path& scratch) {
  fs::create_directories(scratch / "tree");
  std::ofstream(scratch / "tree" / "app") << "hello";
  images::image_store store{scratch / "store"};
  auto digest = store.import_directory(scratch / "tree");
  EXPECT_TRUE(digest.ok());
  std::ostringstream out;
  EXPECT_TRUE(store.export_image(*digest, out).ok());
  return out.str();
}

std::string cscfg(long long count) {
  return "<ServiceConfiguration serviceName='TenWeb'><Role name='Web'><Instances count='"
         + std::to_string(count)
         + "'/><ConfigurationSettings><Setting name='Greeting' value='hi'/>"
           "</ConfigurationSettings></Role></ServiceConfiguration>";
}

struct request_limits_test : ::testing::Test {
  std::string dir = fabric::testing::temp_dir("fabric-limits");
  memory_model_port store;
  image_catalog images{fs::path(dir) / "coordinator"};
  std::unique_ptr<controller> ctl;
  std::string csdef = read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef");

  void SetUp() override {
    ASSERT_TRUE(images.load().ok());
    ASSERT_TRUE(images.add("base", tiny_archive(fs::path(dir) / "scratch")).ok());
    controller_config cfg;
    cfg.limits = {50, 60};
    ctl = std::make_unique<controller>(store, &images, cfg);
    for (int n = 0; n < 3; ++n)
      ctl->on_node_up({"n" + std::to_string(n), n, 20, "peer-n" + std::to_string(n), 1, true},
                      {});
    ASSERT_EQ(json_api::create_service(*ctl, R"({"name":"svc"})").status, 201);
  }

  void TearDown() override {
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir, ec))
      if (e.is_directory(ec))
        fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }

  api_result deploy(long long count) {
    nlohmann::json body{{"csdef", csdef}, {"cscfg", cscfg(count)}, {"image", "base"}, {"name", "d"}};
    return json_api::start_operation(*ctl, "deploy", {"svc", "production", body.dump()});
  }

  /// Every node accepts every command; started instances report ReadyRole.
  void nodes_run(const std::vector<outbound_command>& cmds) {
    for (auto& c : cmds) {
      ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
      if (c.command.kind != protocol::command_kind::remove)
        ctl->on_report(c.peer, {c.command.instance.name, "ReadyRole", c.command.instance.version,
                                "127.0.0.1:1"});
    }
  }

  void expect_refused(const api_result& res, int status, const std::string& code,
                      const std::string& part) {
    EXPECT_EQ(res.status, status) << res.body.dump();
    EXPECT_EQ(res.body["error"]["code"], code) << res.body.dump();
    auto msg = res.body["error"]["message"].get<std::string>();
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
};

TEST_F(request_limits_test, deploy_of_a_billion_instances_is_a_400_and_changes_nothing) {
  auto before = store.model().revision;
  expect_refused(deploy(1000000000), 400, "LimitExceeded", "at most 50 per role");
  EXPECT_EQ(store.model().revision, before);
  EXPECT_TRUE(ctl->take_outbound().empty());
}

TEST_F(request_limits_test, deploy_over_the_live_capacity_is_refused_before_building) {
  // 45 is within the limits; with two of the three nodes down only 20
  // live slots remain.
  ctl->on_node_down("n1");
  ctl->on_node_down("n2");
  expect_refused(deploy(45), 409, "InsufficientCapacity", "at most 20 instances in all");
  EXPECT_TRUE(ctl->take_outbound().empty());
}

TEST_F(request_limits_test, scale_change_configuration_redeploy_and_upgrade_over_the_limit_are_400s) {
  ASSERT_EQ(deploy(4).status, 202);
  nodes_run(ctl->take_outbound());  // the deploy completes: nothing else is in progress
  auto before = store.model().revision;
  expect_refused(json_api::start_operation(*ctl, "change_configuration", {"svc", "production", cscfg(1000000000)}),
                 400, "LimitExceeded", "'Web' asks for 1000000000");
  expect_refused(json_api::start_operation(*ctl, "change_configuration", {"svc", "production", cscfg(51)}),
                 400, "LimitExceeded", "at most 50 per role");
  expect_refused(
    json_api::start_operation(*ctl, "redeploy", {"svc", "production",
                                      nlohmann::json{{"cscfg", cscfg(1000000000)}}.dump()}),
    400, "LimitExceeded", "at most 50 per role");
  expect_refused(json_api::start_operation(*ctl, 
                   "upgrade", {"svc", "production",
                               nlohmann::json{{"image", "base"}, {"version", "v2"}, {"cscfg", cscfg(1000000000)}}
                                 .dump()}),
                 400, "LimitExceeded", "at most 50 per role");
  EXPECT_EQ(store.model().revision, before);
  EXPECT_TRUE(ctl->take_outbound().empty());
  // Within the limits a scale still works.
  EXPECT_EQ(json_api::start_operation(*ctl, "change_configuration", {"svc", "production", cscfg(6)}).status, 202);
}

TEST_F(request_limits_test, long_labels_descriptions_and_locations_are_400s_and_change_nothing) {
  auto before = store.model().revision;
  for (auto [field, max] :
       {std::pair{"label", 100}, std::pair{"description", 1024}, std::pair{"location", 100}}) {
    nlohmann::json body{{"name", "s2"}};
    body[field] = std::string(static_cast<std::size_t>(max) + 1, 'x');
    expect_refused(json_api::create_service(*ctl, body.dump()), 400, "BadRequest",
                   std::string(field) + " has " + std::to_string(max + 1) + " characters");
    body[field] = std::string(static_cast<std::size_t>(max), 'x');
    body["name"] = std::string("ok-") + field;
    EXPECT_EQ(json_api::create_service(*ctl, body.dump()).status, 201) << field;
  }
  // A 60 MB description (issue 14) is refused the same way.
  expect_refused(json_api::create_service(*ctl, nlohmann::json{{"name", "s3"}, {"description", std::string(60 << 20, 'd')}}.dump()),
                 400, "BadRequest", "at most 1024");
  EXPECT_EQ(store.model().revision, before + 3);
  // 100 two-byte characters are 100 characters.
  std::string label;
  for (int i = 0; i < 100; ++i)
    label += "\xc3\xab";
  EXPECT_EQ(json_api::create_service(*ctl, nlohmann::json{{"name", "s4"}, {"label", label}}.dump()).status, 201);
}

} // namespace
} // namespace fabric::coordinator
