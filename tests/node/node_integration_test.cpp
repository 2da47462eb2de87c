// fabric-node as a real process against a fake coordinator (a ZeroMQ ROUTER
// in this test speaking the protocol): register, image fetch, start to
// ReadyRole, the instance's HTTP port (role environment, disk files, quota
// error), reboot / reimage / guest shutdown with their disk outcomes, kill -9
// and restart over the same data directory, and fencing. Waits are bounded
// polls.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <zmq.hpp>

#include "images/image_store.hpp"
#include "protocol/codec.hpp"
#include "tests/integration/local_cluster.hpp"
#include "transport/zmq_transport.hpp"

namespace fabric {
namespace {

using namespace std::chrono_literals;
using testing::child_process;
using testing::wait_until;
using json = nlohmann::json;
using k = protocol::command_kind;

const std::string bin_dir = FABRIC_BIN_DIR;

/// The coordinator's side, on its own thread: acks registrations and (while
/// `ack_heartbeats`) heartbeats, serves images from its store in 1 MiB
/// chunks, records what the node sends.
class fake_coordinator {
public:
  explicit fake_coordinator(std::filesystem::path image_dir) : images_(std::move(image_dir)) {
    auto bound = transport::zmq_transport::bind_router(ctx_, "tcp://127.0.0.1:*");
    router_ = std::move(bound.value());
    thread_ = std::thread([this] { run(); });
  }
  ~fake_coordinator() {
    stop_ = true;
    thread_.join();
  }

  std::string endpoint() const { return router_->bound_endpoint(); }
  images::image_store& images() { return images_; }
  std::atomic<bool> ack_heartbeats{true};

  void command(k kind, const protocol::instance_spec& spec, bool degenerates = false) {
    protocol::instance_command cmd;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      cmd.command_id = ++next_command_;
    }
    cmd.kind = kind;
    cmd.instance = spec;
    cmd.reboot_degenerates = degenerates;
    router_->send(node_peer(), protocol::encode(cmd));
  }

  std::vector<protocol::node_register> registers() {
    std::lock_guard<std::mutex> guard{mtx_};
    return registers_;
  }
  std::vector<protocol::instance_command_result> results() {
    std::lock_guard<std::mutex> guard{mtx_};
    return results_;
  }
  std::vector<protocol::instance_report> reports() {
    std::lock_guard<std::mutex> guard{mtx_};
    return reports_;
  }
  std::size_t image_requests() {
    std::lock_guard<std::mutex> guard{mtx_};
    return image_requests_;
  }

  /// Waits for a report of `state` after the first `from` reports; returns it.
  std::optional<protocol::instance_report> wait_state(const std::string& state, std::size_t from,
                                                      std::chrono::milliseconds t = 10s) {
    std::optional<protocol::instance_report> found;
    wait_until(
      [&] {
        auto all = reports();
        for (auto i = from; i < all.size(); ++i)
          if (all[i].state == state) {
            found = all[i];
            return true;
          }
        return false;
      },
      t, 10ms);
    return found;
  }

private:
  std::string node_peer() {
    std::lock_guard<std::mutex> guard{mtx_};
    return peer_;
  }

  void run() {
    while (!stop_) {
      auto f = router_->receive(20ms);
      if (!f)
        continue;
      auto d = protocol::decode(f->bytes);
      if (!d)
        continue;
      std::lock_guard<std::mutex> guard{mtx_};
      std::visit([&](auto& m) { on(f->from, m); }, d->message);
    }
  }

  template <class T>
  void on(const std::string&, T&) {}
  void on(const std::string& from, protocol::node_register& r) {
    peer_ = from;
    registers_.push_back(r);
    ack_heartbeats = true;
    router_->send(from, protocol::encode(protocol::register_ack{true, "", ++epoch_, 100}));
  }
  void on(const std::string& from, protocol::heartbeat& hb) {
    if (ack_heartbeats)
      router_->send(from, protocol::encode(protocol::heartbeat_ack{hb.seq, hb.sent_at_us}));
  }
  void on(const std::string&, protocol::instance_report& r) { reports_.push_back(r); }
  void on(const std::string&, protocol::instance_command_result& r) { results_.push_back(r); }
  void on(const std::string& from, protocol::image_request& r) {
    ++image_requests_;
    std::vector<std::string> chunks;
    auto st = images_.export_image(r.digest, [&](std::string_view c) {
      chunks.emplace_back(c);
      return ok_status();
    });
    if (!st)
      return;
    uint64_t offset = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      protocol::image_chunk c{r.digest, offset, {chunks[i].begin(), chunks[i].end()},
                              i + 1 == chunks.size()};
      offset += chunks[i].size();
      router_->send(from, protocol::encode(c));
    }
  }

  zmq::context_t ctx_;
  images::image_store images_;
  std::unique_ptr<transport::zmq_transport> router_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mtx_;
  std::string peer_;
  uint64_t epoch_ = 0;
  uint64_t next_command_ = 0;
  std::size_t image_requests_ = 0;
  std::vector<protocol::node_register> registers_;
  std::vector<protocol::instance_command_result> results_;
  std::vector<protocol::instance_report> reports_;
};

struct node_process : ::testing::Test {
  std::string dir = testing::temp_dir("fabric-node-it");
  std::unique_ptr<fake_coordinator> coord;
  child_process node;
  protocol::instance_spec spec;

  void SetUp() override {
    coord = std::make_unique<fake_coordinator>(dir + "/coordinator");
    auto src = std::filesystem::path(dir) / "image-src";
    std::filesystem::create_directories(src / "app");
    std::ofstream(src / "app/site.cfg") << "site v1";
    auto digest = coord->images().import_directory(src);
    ASSERT_TRUE(digest.ok()) << digest.err().message;
    spec.name = "Web_IN_0";
    spec.role = "Web";
    spec.service = "shop";
    spec.deployment = "dep-1";
    spec.slot = "production";
    spec.version = "v1";
    spec.image_digest = *digest;
    spec.upgrade_domain = 0;
    spec.fault_domain = 1;
    spec.local_storage = {{"LocalStore", 1, false}, {"Cache", 1, true}};
    spec.settings = {{"Greeting", "hello"}};
    for (auto* p : {"create_vm", "start_vm", "start_role", "restart_role", "stop_role", "stop_vm"})
      spec.phase_durations_ms[p] = 30;
    spec.phase_durations_ms["abort_restart"] = 300;
  }

  void TearDown() override {
    node.kill_and_wait();
    coord.reset();
    if (!HasFailure()) {
      std::error_code ec;
      for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
        std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
      std::filesystem::remove_all(dir, ec);
    }
  }

  void start_node() {
    // The fake coordinator's register_ack carries no missed_heartbeats (a 1.2
    // coordinator): the node keeps the policy given here (local_cluster.hpp).
    node = child_process::spawn(
      bin_dir + "/fabric-node",
      testing::node_flags(coord->endpoint(), "node-a", 1, dir + "/node-a", {100, 3}),
      dir + "/node-a.log");
  }

  std::size_t wait_registers(std::size_t n) {
    EXPECT_TRUE(wait_until([&] { return coord->registers().size() >= n; }, 10s))
      << "node did not register; see " << dir << "/node-a.log";
    return coord->registers().size();
  }

  /// Sends a command and waits until it is answered.
  protocol::instance_command_result run(k kind, bool degenerates = false) {
    auto before = coord->results().size();
    coord->command(kind, spec, degenerates);
    EXPECT_TRUE(wait_until([&] { return coord->results().size() > before; }, 10s));
    auto all = coord->results();
    return all.size() > before ? all[before] : protocol::instance_command_result{};
  }

  /// host, port of the instance from a report's endpoint.
  static int port_of(const protocol::instance_report& r) {
    auto colon = r.endpoint.rfind(':');
    return colon == std::string::npos ? -1 : std::stoi(r.endpoint.substr(colon + 1));
  }
};

TEST_F(node_process, runs_an_instance_with_real_disks_and_http) {
  start_node();
  wait_registers(1);
  EXPECT_TRUE(coord->registers()[0].held_instances.empty());
  EXPECT_EQ(coord->registers()[0].capacity, 5000u);

  // start: the node lacks the image, fetches it, then boots.
  auto r = run(k::start);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(coord->image_requests(), 1u);
  auto ready = coord->wait_state("ReadyRole", 0);
  ASSERT_TRUE(ready) << "see " << dir << "/node-a.log";
  int port = port_of(*ready);
  ASSERT_GT(port, 0) << ready->endpoint;
  httplib::Client cli("127.0.0.1", port);

  auto env = cli.Get("/role-environment");
  ASSERT_TRUE(env);
  ASSERT_EQ(env->status, 200);
  auto j = json::parse(env->body);
  EXPECT_EQ(j["instance_id"], "Web_IN_0");
  EXPECT_EQ(j["settings"]["Greeting"], "hello");
  EXPECT_EQ(j["local_resources"][0]["path"],
            dir + "/node-a/instances/Web_IN_0/local/LocalStore");

  ASSERT_EQ(cli.Put("/disk/os/app/data.txt", "os data", "text/plain")->status, 200);
  ASSERT_EQ(cli.Put("/disk/local/LocalStore/keep.txt", "local data", "text/plain")->status, 200);
  auto full = cli.Put("/disk/local/Cache/big.bin", std::string(2 << 20, 'x'), "text/plain");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 507);
  EXPECT_NE(full->body.find("local storage 'Cache' is full"), std::string::npos) << full->body;

  // reboot: disks kept.
  auto mark = coord->reports().size();
  ASSERT_TRUE(run(k::reboot).ok);
  ASSERT_TRUE(coord->wait_state("RestartingRole", mark));
  ready = coord->wait_state("ReadyRole", mark);
  ASSERT_TRUE(ready);
  httplib::Client cli2("127.0.0.1", port_of(*ready));
  EXPECT_EQ(cli2.Get("/disk/os/app/data.txt")->body, "os data");
  EXPECT_EQ(cli2.Get("/disk/local/LocalStore/keep.txt")->body, "local data");

  // reimage: OS layer reset, local storage kept.
  mark = coord->reports().size();
  ASSERT_TRUE(run(k::reimage).ok);
  ASSERT_TRUE(coord->wait_state("CreatingVM", mark));
  ready = coord->wait_state("ReadyRole", mark);
  ASSERT_TRUE(ready);
  httplib::Client cli3("127.0.0.1", port_of(*ready));
  EXPECT_EQ(cli3.Get("/disk/os/app/data.txt")->status, 404);
  EXPECT_EQ(cli3.Get("/disk/os/app/site.cfg")->body, "site v1");
  EXPECT_EQ(cli3.Get("/disk/local/LocalStore/keep.txt")->body, "local data");

  // guest shutdown: Aborted, then ready again by itself, data kept.
  ASSERT_EQ(cli3.Put("/disk/os/app/after.txt", "after reimage", "text/plain")->status, 200);
  mark = coord->reports().size();
  auto shut = cli3.Post("/guest/shutdown", "", "text/plain");
  ASSERT_TRUE(shut);
  EXPECT_EQ(shut->status, 202);
  ASSERT_TRUE(coord->wait_state("Aborted", mark));
  ready = coord->wait_state("ReadyRole", mark);
  ASSERT_TRUE(ready);
  httplib::Client cli4("127.0.0.1", port_of(*ready));
  EXPECT_EQ(cli4.Get("/disk/os/app/after.txt")->body, "after reimage");

  // kill -9, restart on the same data directory: it holds the instance.
  node.kill_and_wait();
  start_node();
  wait_registers(2);
  auto reg = coord->registers().back();
  ASSERT_EQ(reg.held_instances.size(), 1u);
  EXPECT_EQ(reg.held_instances[0].instance_name, "Web_IN_0");
  EXPECT_EQ(reg.held_instances[0].deployment_name, "dep-1");
  EXPECT_TRUE(reg.held_instances[0].has_os_layer);
  mark = coord->reports().size();
  ASSERT_TRUE(run(k::start).ok);
  ready = coord->wait_state("ReadyRole", mark);
  ASSERT_TRUE(ready);
  EXPECT_EQ(coord->image_requests(), 1u); // the image survived too
  httplib::Client cli5("127.0.0.1", port_of(*ready));
  EXPECT_EQ(cli5.Get("/disk/os/app/after.txt")->body, "after reimage");
  EXPECT_EQ(cli5.Get("/disk/local/LocalStore/keep.txt")->body, "local data");
}

TEST_F(node_process, a_node_that_loses_its_coordinator_stops_serving) {
  start_node();
  wait_registers(1);
  ASSERT_TRUE(run(k::start).ok);
  auto ready = coord->wait_state("ReadyRole", 0);
  ASSERT_TRUE(ready);
  int port = port_of(*ready);
  ASSERT_TRUE(testing::http_get("127.0.0.1", port, "/health"));

  // No more heartbeat acks: after 3 x 100 ms the node closes the port.
  auto mark = coord->reports().size();
  coord->ack_heartbeats = false;
  EXPECT_TRUE(wait_until(
    [&] {
      httplib::Client c("127.0.0.1", port);
      c.set_connection_timeout(0, 200000);
      return !c.Get("/health");
    },
    5s));
  // It registers again (acked), reports StoppedVM, and follows the next start.
  ASSERT_TRUE(coord->wait_state("StoppedVM", mark));
  wait_registers(2);
  mark = coord->reports().size();
  ASSERT_TRUE(run(k::start).ok);
  ASSERT_TRUE(coord->wait_state("ReadyRole", mark));
}

} // namespace
} // namespace fabric
