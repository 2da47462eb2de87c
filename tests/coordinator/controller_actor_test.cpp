// The controller actor and the membership actor together on CAF's
// deterministic scheduler. A fake transport captures every frame the
// coordinator sends; nodes are played by the test. No sleeps: time moves
// with advance().

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "coordinator/controller_actor.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/membership_actor.hpp"
#include "tests/actors/test_system.hpp"
#include "tests/integration/process_harness.hpp"

namespace fabric::coordinator {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using actors::peer_message;

/// Captures sent frames, decoded, per peer.
class capture_transport : public fabric::transport::transport {
public:
  void send(const fabric::transport::peer_id& to, std::string bytes) override {
    std::lock_guard<std::mutex> g{mtx_};
    auto d = protocol::decode(bytes);
    if (d)
      frames_.push_back({to, std::move(*d)});
    ++stats_.frames_sent;
  }
  std::optional<fabric::transport::inbound_frame> receive(std::chrono::milliseconds) override {
    return std::nullopt;
  }
  fabric::transport::transport_stats stats() const override { return stats_; }

  template <class T>
  std::vector<std::pair<std::string, T>> take() {
    std::lock_guard<std::mutex> g{mtx_};
    std::vector<std::pair<std::string, T>> out;
    std::vector<std::pair<std::string, protocol::decoded_frame>> rest;
    for (auto& f : frames_) {
      if (auto* m = std::get_if<T>(&f.second.message))
        out.emplace_back(f.first, *m);
      else
        rest.push_back(std::move(f));
    }
    frames_ = std::move(rest);
    return out;
  }

private:
  std::mutex mtx_;
  std::vector<std::pair<std::string, protocol::decoded_frame>> frames_;
  fabric::transport::transport_stats stats_;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct controller_actor_test : ::testing::Test {
  testing::deterministic_system ds;
  std::string dir = fabric::testing::temp_dir("fabric-ctl-actor");
  std::shared_ptr<capture_transport> wire = std::make_shared<capture_transport>();
  memory_model_port store;
  image_catalog images{fs::path(dir) / "c"};
  caf::actor controller_;
  caf::actor membership_;
  caf::actor image_server_;
  std::string digest;

  void SetUp() override {
    ASSERT_TRUE(images.load().ok());
    fs::create_directories(fs::path(dir) / "tree");
    std::ofstream(fs::path(dir) / "tree" / "app") << std::string(3000, 'x');
    images::image_store scratch{fs::path(dir) / "scratch"};
    auto d = scratch.import_directory(fs::path(dir) / "tree");
    ASSERT_TRUE(d.ok());
    std::ostringstream archive;
    ASSERT_TRUE(scratch.export_image(*d, archive).ok());
    ASSERT_TRUE(images.add("base", archive.str()).ok());
    digest = *d;

    auto core = std::make_shared<controller>(store, &images);
    auto out = std::static_pointer_cast<fabric::transport::transport>(wire);
    controller_ = ds.sys->spawn(controller_actor, core, out);
    image_server_ = ds.sys->spawn(image_server_actor,
                                  static_cast<const image_catalog*>(&images), out,
                                  std::size_t{1024});
    membership_actor_config mcfg;
    mcfg.detector = {100ms, 3};
    mcfg.first_epoch = 10;
    mcfg.listener = controller_;
    membership_ = ds.sys->spawn(membership_actor, mcfg, out);
    ds.run();
  }

  void TearDown() override {
    for (auto& a : {controller_, membership_, image_server_})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    ds.run();
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir, ec))
      if (e.is_directory(ec))
        fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }

  template <class T>
  void from(const caf::actor& to, const std::string& peer, T msg) {
    caf::anon_send(to, peer_message{peer, protocol::current_version, 0, std::move(msg)});
    ds.run();
  }

  uint64_t register_node(const std::string& name, int fd,
                         std::vector<protocol::held_instance> held = {}) {
    protocol::node_register reg;
    reg.node_name = name;
    reg.fault_domain = static_cast<uint32_t>(fd);
    reg.capacity = 10;
    reg.held_instances = std::move(held);
    from(membership_, name, reg);
    auto acks = wire->take<protocol::register_ack>();
    EXPECT_EQ(acks.size(), 1u);
    return acks.empty() ? 0 : acks[0].second.node_epoch;
  }

  api_result api(std::function<api_result(controller&)> fn) {
    api_result out = api_error(599, "NoAnswer", "no answer");
    caf::scoped_actor self{*ds.sys};
    auto pending = self->request(controller_, caf::infinite, api_call{std::move(fn)});
    ds.run();  // the controller handles it; the answer waits in self's mailbox
    std::move(pending).receive([&](api_result& r) { out = std::move(r); },
                               [&](caf::error&) {});
    return out;
  }

  /// Beats every node in `epochs` once.
  void beat(const std::map<std::string, uint64_t>& epochs, uint64_t seq) {
    for (auto& [name, epoch] : epochs)
      from(membership_, name, protocol::heartbeat{name, epoch, seq, 0, {}});
  }
};

TEST_F(controller_actor_test, deploy_then_node_loss_heals_and_the_returning_node_is_reconciled) {
  std::map<std::string, uint64_t> epochs;
  epochs["n1"] = register_node("n1", 0);
  epochs["n2"] = register_node("n2", 1);
  epochs["n3"] = register_node("n3", 2);
  ASSERT_EQ(api([](controller& c) { return json_api::create_service(c, R"({"name":"svc"})"); })
              .status,
            201);
  nlohmann::json body{{"csdef", read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef")},
                      {"cscfg", read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.cscfg")},
                      {"image", "base"}};
  auto res = api([b = body.dump()](controller& c) {
    return json_api::start_operation(c, "deploy", {"svc", "production", b});
  });
  ASSERT_EQ(res.status, 202) << res.body.dump();
  auto starts = wire->take<protocol::instance_command>();
  ASSERT_EQ(starts.size(), 10u);
  std::map<std::string, std::vector<std::string>> per_node;
  for (auto& [peer, cmd] : starts) {
    EXPECT_EQ(cmd.kind, protocol::command_kind::start);
    per_node[peer].push_back(cmd.instance.name);
    from(controller_, peer, protocol::instance_command_result{cmd.command_id, true, ""});
    from(controller_, peer,
         protocol::instance_report{cmd.instance.name, "ReadyRole", cmd.instance.version, ""});
  }
  EXPECT_EQ(per_node.size(), 3u);
  auto op = api([id = res.body["operation_id"].get<std::string>()](controller& c) {
    return json_api::get_operation(c, id);
  });
  EXPECT_EQ(op.body["status"], "Succeeded");

  // n3 stops heartbeating: declared down after (k+1) intervals, healed.
  for (uint64_t seq = 1; seq <= 6; ++seq) {
    beat({{"n1", epochs["n1"]}, {"n2", epochs["n2"]}}, seq);
    ds.advance(100ms, 100ms);
  }
  auto moves = wire->take<protocol::instance_command>();
  ASSERT_EQ(moves.size(), per_node["n3"].size());
  for (auto& [peer, cmd] : moves) {
    EXPECT_EQ(cmd.kind, protocol::command_kind::migrate_in);
    EXPECT_NE(peer, "n3");
    from(controller_, peer,
         protocol::instance_report{cmd.instance.name, "ReadyRole", cmd.instance.version, ""});
  }
  auto d
    = api([](controller& c) { return json_api::get_deployment(c, "svc", "production"); }).body;
  EXPECT_EQ(d["ready_instances"], 10);
  for (auto& i : d["instances"])
    EXPECT_NE(i["node"], "n3");

  // n3 re-registers with its old copies: every one is removed.
  std::vector<protocol::held_instance> held;
  for (auto& w : per_node["n3"])
    held.push_back({w, "svc-production", "base", true, {}});
  register_node("n3", 2, held);
  auto back = wire->take<protocol::instance_command>();
  ASSERT_EQ(back.size(), held.size());
  for (auto& [peer, cmd] : back) {
    EXPECT_EQ(peer, "n3");
    EXPECT_EQ(cmd.kind, protocol::command_kind::remove);
  }
}

TEST_F(controller_actor_test, image_requests_are_served_in_ordered_chunks_with_last_on_the_final) {
  from(image_server_, "n1", protocol::image_request{digest});
  auto chunks = wire->take<protocol::image_chunk>();
  ASSERT_GE(chunks.size(), 3u);  // ~3 KB archive in 1 KiB chunks
  std::string received;
  uint64_t offset = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    auto& c = chunks[i].second;
    EXPECT_EQ(chunks[i].first, "n1");
    EXPECT_EQ(c.offset, offset);
    EXPECT_LE(c.data.size(), 1024u);
    EXPECT_EQ(c.last, i + 1 == chunks.size());
    received.append(c.data.begin(), c.data.end());
    offset += c.data.size();
  }
  images::image_store node_store{fs::path(dir) / "node"};
  auto rx = node_store.begin_receive(digest);
  ASSERT_TRUE(rx.ok());
  ASSERT_TRUE(rx->feed(received).ok());
  auto done = rx->finish();
  ASSERT_TRUE(done.ok()) << done.err().to_string();
  EXPECT_EQ(*done, digest);
}

TEST_F(controller_actor_test, an_unknown_digest_gets_one_empty_last_chunk) {
  from(image_server_, "n1", protocol::image_request{std::string(64, 'f')});
  auto chunks = wire->take<protocol::image_chunk>();
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(chunks[0].second.last);
  EXPECT_TRUE(chunks[0].second.data.empty());
}

// -- upgrades on the test clock -------------------------------------------------

/// The controller actor alone (nodes come up by node_up_event, so no failure
/// detector runs while the test clock jumps), with a 1 s per-UD wait.
struct upgrade_actor_test : ::testing::Test {
  testing::deterministic_system ds;
  std::string dir = fabric::testing::temp_dir("fabric-upgrade-actor");
  std::shared_ptr<capture_transport> wire = std::make_shared<capture_transport>();
  memory_model_port store;
  image_catalog images{fs::path(dir) / "c"};
  caf::actor controller_;

  void SetUp() override {
    ASSERT_TRUE(images.load().ok());
    fs::create_directories(fs::path(dir) / "tree");
    std::ofstream(fs::path(dir) / "tree" / "app") << "v1";
    images::image_store scratch{fs::path(dir) / "scratch"};
    auto d = scratch.import_directory(fs::path(dir) / "tree");
    ASSERT_TRUE(d.ok());
    std::ostringstream archive;
    ASSERT_TRUE(scratch.export_image(*d, archive).ok());
    ASSERT_TRUE(images.add("base", archive.str()).ok());

    controller_config cfg;
    cfg.upgrade_domain_wait = 1s;
    auto core = std::make_shared<controller>(store, &images, cfg);
    controller_ = ds.sys->spawn(controller_actor, core,
                                std::static_pointer_cast<fabric::transport::transport>(wire));
    ds.run();
    for (int n = 0; n < 3; ++n) {
      auto name = "n" + std::to_string(n);
      caf::anon_send(controller_, node_up_event{name, n, 10, name, 1, {}});
    }
    ds.run();
  }

  void TearDown() override {
    caf::anon_send_exit(controller_, caf::exit_reason::user_shutdown);
    ds.run();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  api_result api(std::function<api_result(controller&)> fn) {
    api_result out = api_error(599, "NoAnswer", "no answer");
    caf::scoped_actor self{*ds.sys};
    auto pending = self->request(controller_, caf::infinite, api_call{std::move(fn)});
    ds.run();
    std::move(pending).receive([&](api_result& r) { out = std::move(r); },
                               [&](caf::error&) {});
    return out;
  }

  template <class T>
  void from(const std::string& peer, T msg) {
    caf::anon_send(controller_, peer_message{peer, protocol::current_version, 0, std::move(msg)});
    ds.run();
  }

  /// Acks every command; ReadyRole on the command's version except for
  /// `hung` (StartingRole, never ready). Returns the instances, by wire name.
  std::set<std::string> answer(const std::vector<std::pair<std::string, protocol::instance_command>>& cmds,
                               const std::string& hung = "") {
    std::set<std::string> names;
    for (auto& [peer, cmd] : cmds) {
      names.insert(cmd.instance.name);
      from(peer, protocol::instance_command_result{cmd.command_id, true, ""});
      from(peer, protocol::instance_report{cmd.instance.name,
                                           cmd.instance.name == hung ? "StartingRole"
                                                                     : "ReadyRole",
                                           cmd.instance.version, ""});
    }
    return names;
  }

  caf::actor_clock::time_point now() { return ds.sched->clock().now(); }
  uint64_t ticks() { return ds.state_of<controller_actor_state>(controller_).ticks; }
  nlohmann::json upgrade_status() {
    return api([](controller& c) { return json_api::get_deployment(c, "svc", "production"); })
      .body["upgrade"];
  }
};

TEST_F(upgrade_actor_test, per_ud_waits_and_an_instance_timeout_run_on_the_test_clock) {
  ASSERT_EQ(api([](controller& c) { return json_api::create_service(c, R"({"name":"svc"})"); }).status, 201);
  nlohmann::json deploy{{"csdef", read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.csdef")},
                        {"cscfg", read(std::string(FABRIC_TEST_DATA) + "/models/ten-web.cscfg")},
                        {"image", "base"}};
  ASSERT_EQ(api([b = deploy.dump()](controller& c) {
              return json_api::start_operation(c, "deploy", {"svc", "production", b});
            }).status,
            202);
  auto starts = wire->take<protocol::instance_command>();
  ASSERT_EQ(starts.size(), 10u);
  answer(starts);

  // Auto upgrade over the 5 UDs (2 instances each): the 1 s wait after each
  // walked UD (the default from the config), a 5 s instance timeout that
  // rolls back.
  nlohmann::json body{{"image", "base"}, {"version", "v2"}, {"mode", "auto"},
                      {"timeout_s", 5}, {"on_timeout", "roll_back"}};
  auto res = api([b = body.dump()](controller& c) {
    return json_api::start_operation(c, "upgrade", {"svc", "production", b});
  });
  ASSERT_EQ(res.status, 202) << res.body.dump();
  auto op_id = res.body["operation_id"].get<std::string>();
  auto t0 = now();

  // UD 0 starts at once, on the API call's tick.
  auto ud0 = wire->take<protocol::instance_command>();
  ASSERT_EQ(ud0.size(), 2u);
  for (auto& [peer, cmd] : ud0) {
    EXPECT_EQ(cmd.kind, protocol::command_kind::upgrade);
    EXPECT_EQ(cmd.instance.version, "v2");
  }
  answer(ud0);
  auto st = upgrade_status();
  EXPECT_EQ(st["walked"], nlohmann::json::array({0}));

  // The wait: nothing until 1 s after UD 0 was walked, and no tick either
  // (no polling), however finely the clock moves.
  auto ticks_before = ticks();
  ds.advance(990ms, 10ms);
  ds.advance(9ms, 1ms);
  EXPECT_TRUE(wire->take<protocol::instance_command>().empty()) << "UD 1 started early";
  EXPECT_EQ(ticks(), ticks_before) << "the actor ticked during the wait";
  ds.advance(1ms, 1ms);
  auto ud1 = wire->take<protocol::instance_command>();
  ASSERT_EQ(ud1.size(), 2u) << "UD 1 did not start when the wait ended";
  EXPECT_EQ(now() - t0, 1000ms);
  EXPECT_EQ(upgrade_status()["current_upgrade_domain"], 1);
  auto t1 = now();

  // One instance of UD 1 never comes back: the timeout fires 5 s after its
  // upgrade started, on the timer, and turns the upgrade into its rollback.
  auto hung = ud1[0].second.instance.name;
  answer(ud1, hung);
  ds.advance(4990ms, 10ms);
  ds.advance(9ms, 1ms);
  EXPECT_TRUE(wire->take<protocol::instance_command>().empty());
  st = upgrade_status();
  EXPECT_FALSE(st["rolling_back"].get<bool>());
  EXPECT_EQ(api([op_id](controller& c) { return json_api::get_operation(c, op_id); }).body["status"],
            "InProgress");
  ds.advance(1ms, 1ms);
  EXPECT_EQ(now() - t1, 5000ms);
  st = upgrade_status();
  ASSERT_TRUE(st.is_object()) << st.dump();
  EXPECT_TRUE(st["rolling_back"].get<bool>());
  EXPECT_EQ(st["target_version"], "base") << "the deployed version";
  EXPECT_EQ(st["order"], nlohmann::json::array({1, 0})) << "the touched UDs, in reverse";
  auto op = api([op_id](controller& c) { return json_api::get_operation(c, op_id); }).body;
  EXPECT_EQ(op["status"], "Failed");
  EXPECT_NE(op["error"]["message"].get<std::string>().find(hung.substr(hung.find('.') + 1)),
            std::string::npos)
    << op.dump();
  // The rollback starts with UD 1 at once (both instances: they run v2).
  auto back = wire->take<protocol::instance_command>();
  ASSERT_EQ(back.size(), 2u);
  for (auto& [peer, cmd] : back) {
    EXPECT_EQ(cmd.kind, protocol::command_kind::upgrade);
    EXPECT_EQ(cmd.instance.version, "base");
  }
}

} // namespace
} // namespace fabric::coordinator
