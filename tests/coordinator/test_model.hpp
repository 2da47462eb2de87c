#pragma once

// Small models for the controller's tests, built with the model's own edits,
// and the controller fixture the controller, operations and upgrade tests
// share (an in-memory model port that counts commits, an image catalog in a
// temporary directory, the /fabric/v1 JSON edge over the controller).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/api_json.hpp"
#include "coordinator/controller.hpp"
#include "coordinator/image_catalog.hpp"
#include "model/edit.hpp"
#include "images/image_store.hpp"
#include "tests/integration/process_harness.hpp"

namespace fabric::coordinator::testing {

/// One deployment `dep` of service `svc` in production: role "Web" with the
/// given nodes (empty string = unplaced), UD i mod 5, FD from `fds`.
inline model::fabric_model one_deployment(const std::vector<std::string>& nodes,
                                          const std::vector<int>& fds,
                                          const std::string& svc = "svc",
                                          const std::string& dep = "dep",
                                          model::deployment_status status
                                          = model::deployment_status::running) {
  model::fabric_model m;
  (void) model::apply(m, model::create_hosted_service{svc, "", "", ""});
  model::deployment d;
  d.name = dep;
  d.package = std::string(64, 'a');
  d.version = "v1";
  d.status = status;
  model::role_definition role;
  role.name = "Web";
  role.kind = model::role_kind::web;
  role.local_storage.push_back({"scratch", 64, false});
  role.endpoints.push_back({"http", model::endpoint_kind::input, "http", 80, 0, 0, 0});
  d.definition.name = svc;
  d.definition.roles.push_back(role);
  model::role_configuration rc;
  rc.name = "Web";
  rc.instance_count = static_cast<int>(nodes.size());
  rc.settings["Greeting"] = "hello";
  d.configuration.roles.push_back(rc);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    model::instance inst;
    inst.name = model::instance_name("Web", static_cast<int>(i));
    inst.role = "Web";
    inst.index = static_cast<int>(i);
    inst.upgrade_domain = static_cast<int>(i % 5);
    inst.fault_domain = fds.at(i);
    inst.node = nodes[i];
    inst.version = "v1";
    d.instances.push_back(inst);
  }
  (void) model::apply(m, model::create_deployment{svc, model::slot::production, d});
  return m;
}

/// The whole file.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// An archive of a tiny image tree (bin/app holding `content`), in the
/// node/disk transfer format.
inline std::string tiny_archive(const std::filesystem::path& scratch,
                                const std::string& content = "hello") {
  std::filesystem::create_directories(scratch / "tree" / "bin");
  std::ofstream(scratch / "tree" / "bin" / "app") << content;
  images::image_store store{scratch / "store"};
  auto digest = store.import_directory(scratch / "tree");
  EXPECT_TRUE(digest.ok());
  std::ostringstream out;
  EXPECT_TRUE(store.export_image(*digest, out).ok());
  return out.str();
}

/// A memory model port that counts commits: commit() calls and
/// commit_all() calls (one per batch, however many edits).
class counting_model_port : public memory_model_port {
public:
  status commit(const model::model_edit& edit) override {
    ++commits;
    return memory_model_port::commit(edit);
  }
  status commit_all(const std::vector<model::model_edit>& edits) override {
    ++batches;
    return memory_model_port::commit_all(edits);
  }
  /// Durable writes so far (single commits and batches).
  int writes() const { return commits + batches; }
  int commits = 0;
  int batches = 0;
};

/// The controller on a counting in-memory port with an image catalog in a
/// temporary directory. Call start() in SetUp (after adding images).
struct controller_fixture : ::testing::Test {
  std::string dir = fabric::testing::temp_dir("fabric-controller");
  counting_model_port store;
  image_catalog images{std::filesystem::path(dir) / "coordinator"};
  std::unique_ptr<controller> ctl;

  /// Loads the catalog, adds `image_names` (each a tiny tree whose content
  /// is its name, "base" -> "hello") and starts the controller.
  void start(controller_config cfg = {},
             const std::vector<std::string>& image_names = {"base"}) {
    ASSERT_TRUE(images.load().ok());
    for (auto& name : image_names)
      ASSERT_TRUE(images
                    .add(name, tiny_archive(std::filesystem::path(dir) / ("scratch-" + name),
                                            name == "base" ? "hello" : name))
                    .ok());
    ctl = std::make_unique<controller>(store, &images, cfg);
  }

  void TearDown() override {
    // Image trees are read-only.
    std::error_code ec;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
      if (e.is_directory(ec))
        std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(dir, ec);
  }

  void up(const std::string& name, int fd, int capacity = 10,
          std::vector<protocol::held_instance> held = {}) {
    ctl->on_node_up({name, fd, capacity, "peer-" + name, 1, true}, held);
  }

  api_result create_service(const std::string& name = "svc") {
    return json_api::create_service(*ctl, nlohmann::json{{"name", name}}.dump());
  }

  /// Operation `kind` on svc/<slot> through the JSON edge.
  api_result start_op(const std::string& kind, const std::string& body,
                      const std::string& slot = "production") {
    return json_api::start_operation(*ctl, kind, {"svc", slot, body});
  }

  /// The status of the operation an accepted answer names.
  std::string op_status(const api_result& accepted) {
    return json_api::get_operation(*ctl, accepted.body["operation_id"]).body["status"];
  }

  nlohmann::json deployment(const std::string& slot = "production") {
    return json_api::get_deployment(*ctl, "svc", slot).body;
  }
};

} // namespace fabric::coordinator::testing
