// scale_bench: memory of one coordinator at 10,000 instances over 100 nodes,
// and of one fabric-node with 2,500 instance actors, on real processes.
//
// Part A (coordinator): a real fabric-coordinator (--threads 2) and 100 light
// node agents inside this process (ZeroMQ DEALERs on one thread: register,
// heartbeat every H, answer each command ok and report ReadyRole at once; no
// disks), 10 FDs, capacity 200 each. One deployment of 10,000 instances.
// Prints the deploy time (POST to all ReadyRole at the coordinator) and the
// coordinator's VmRSS / VmHWM against the 50 MB goal.
//
// Part B (node): a fresh coordinator and ONE real fabric-node (--threads 2,
// capacity 2,500); one deployment of 2,500 instances (real disks, an HTTP
// port each, phases of 1 ms). Prints the deploy time and the node's VmRSS /
// VmHWM against the 40 MB goal.
//
// Usage: scale_bench [--instances 10000] [--nodes 100] [--node-instances 2500]
//                    [--skip-a] [--skip-b] [--bin DIR]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "bench/bench_models.hpp"
#include "images/image_store.hpp"
#include "protocol/codec.hpp"
#include "tests/integration/process_harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using fabric::testing::child_process;

/// VmRSS and VmHWM of `pid` in kB (from /proc/<pid>/status).
std::pair<long, long> memory_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  long rss = -1, hwm = -1;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      rss = std::stol(line.substr(6));
    else if (line.rfind("VmHWM:", 0) == 0)
      hwm = std::stol(line.substr(6));
  }
  return {rss, hwm};
}

struct coordinator_proc {
  std::string dir;
  int missed = 3;
  int zmq_port = fabric::testing::free_tcp_port();
  int api_port = fabric::testing::free_tcp_port();
  child_process proc;

  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(zmq_port); }

  bool start(const std::string& bin, const std::string& phases) {
    proc = child_process::spawn(
      bin + "/fabric-coordinator",
      {"--nodes-listen", endpoint(), "--api-listen", "127.0.0.1:" + std::to_string(api_port),
       "--data-dir", dir + "/coordinator", "--heartbeat-ms", "100", "--missed-heartbeats", std::to_string(missed),
       "--threads", "2", "--log-level", "warn", "--phase-ms", phases},
      dir + "/coordinator.log");
    return fabric::testing::wait_http_ready("127.0.0.1", api_port, "/fabric/v1/nodes", 10s);
  }

  httplib::Result post(const std::string& path, const std::string& body,
                       const char* type = "application/json") {
    httplib::Client c("127.0.0.1", api_port);
    c.set_read_timeout(120, 0);
    return c.Post(path.c_str(), body, type);
  }

  int nodes_up() {
    auto j = fabric::testing::get_json("127.0.0.1", api_port, "/fabric/v1/nodes");
    int up = 0;
    if (j && j->contains("nodes"))
      for (auto& n : (*j)["nodes"])
        up += n["state"] == "up";
    return up;
  }

  int ready() {
    httplib::Client c("127.0.0.1", api_port);
    c.set_read_timeout(60, 0);
    auto r = c.Get("/fabric/v1/services/scale/deployments/production");
    if (!r || r->status != 200)
      return -1;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return j.is_discarded() ? -1 : j.value("ready_instances", -1);
  }

  /// Uploads a tiny image as "base", creates service "scale", deploys `count`
  /// instances; returns the deploy time in ms (to all ReadyRole) or -1.
  double deploy(int count, const std::string& scratch) {
    fs::create_directories(scratch + "/tree/site");
    std::ofstream(scratch + "/tree/site/index.html") << "<h1>scale</h1>\n";
    fabric::images::image_store store{scratch + "/store"};
    auto digest = store.import_directory(scratch + "/tree");
    if (!digest)
      return -1;
    std::ostringstream archive;
    if (!store.export_image(*digest, archive).ok())
      return -1;
    auto up = post("/fabric/v1/images/base", archive.str(), "application/octet-stream");
    if (!up || up->status != 201) {
      std::fprintf(stderr, "image upload failed: %s\n", up ? up->body.c_str() : "no answer");
      return -1;
    }
    post("/fabric/v1/services", R"({"name":"scale"})");
    nlohmann::json body{{"csdef", fabric::bench::web_role_csdef("Scale", 5)},
                        {"cscfg", fabric::bench::web_role_cscfg("Scale", count)},
                        {"image", "base"},
                        {"name", "scale"}};
    auto t0 = clock_type::now();
    auto r = post("/fabric/v1/services/scale/deployments/production", body.dump());
    if (!r || r->status != 202) {
      std::fprintf(stderr, "deploy failed: %s\n", r ? r->body.c_str() : "no answer");
      return -1;
    }
    auto accepted = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
    std::printf("  deploy accepted after %.0f ms\n", accepted);
    if (!fabric::testing::wait_until([&] { return ready() == count; }, 600s, 500ms))
      return -1;
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  }
};

/// 100 light node agents on one thread: register, heartbeat, answer commands.
class fake_nodes {
public:
  fake_nodes(zmq::context_t& ctx, const std::string& endpoint, int count, int fds,
             uint32_t capacity)
    : count_(count) {
    for (int i = 0; i < count; ++i) {
      node n;
      n.name = "f" + std::to_string(i);
      n.fd = static_cast<uint32_t>(i % fds);
      n.capacity = capacity;
      n.sock = zmq::socket_t(ctx, zmq::socket_type::dealer);
      n.sock.set(zmq::sockopt::linger, 0);
      n.sock.connect(endpoint);
      nodes_.push_back(std::move(n));
    }
    thread_ = std::thread([this] { run(); });
  }
  ~fake_nodes() {
    stop_ = true;
    thread_.join();
  }
  uint64_t commands() const { return commands_; }

private:
  struct node {
    std::string name;
    uint32_t fd = 0;
    uint32_t capacity = 0;
    zmq::socket_t sock;
    uint64_t epoch = 0;
    uint64_t seq = 0;
  };

  template <class T>
  static void send(node& n, const T& msg) {
    auto bytes = fabric::protocol::encode(msg);
    n.sock.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  }

  void tick(node& n) {
    if (n.epoch == 0) {
      fabric::protocol::node_register reg;
      reg.node_name = n.name;
      reg.fault_domain = n.fd;
      reg.advertise_host = "127.0.0.1";
      reg.capacity = n.capacity;
      reg.agent_version = "fake";
      send(n, reg);
      return;
    }
    fabric::protocol::heartbeat hb;
    hb.node_name = n.name;
    hb.epoch = n.epoch;
    hb.seq = ++n.seq;
    send(n, hb);
  }

  void on_frame(node& n, const std::string& bytes) {
    auto f = fabric::protocol::decode(bytes);
    if (!f)
      return;
    if (auto* ack = std::get_if<fabric::protocol::register_ack>(&f->message)) {
      if (ack->accepted)
        n.epoch = ack->node_epoch;
    } else if (auto* req = std::get_if<fabric::protocol::register_required>(&f->message)) {
      if (req->epoch == n.epoch)
        n.epoch = 0;
    } else if (auto* cmd = std::get_if<fabric::protocol::instance_command>(&f->message)) {
      ++commands_;
      send(n, fabric::protocol::instance_command_result{cmd->command_id, true, ""});
      if (cmd->kind != fabric::protocol::command_kind::remove)
        send(n, fabric::protocol::instance_report{cmd->instance.name, "ReadyRole",
                                                  cmd->instance.version, "127.0.0.1:1"});
    }
  }

  void run() {
    std::vector<zmq::pollitem_t> items;
    for (auto& n : nodes_)
      items.push_back({n.sock.handle(), 0, ZMQ_POLLIN, 0});
    auto next = clock_type::now();
    while (!stop_) {
      if (clock_type::now() >= next) {
        for (auto& n : nodes_)
          tick(n);
        next += 100ms;
      }
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(10));
      for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].revents & ZMQ_POLLIN) {
          zmq::message_t m;
          while (nodes_[i].sock.recv(m, zmq::recv_flags::dontwait))
            on_frame(nodes_[i], m.to_string());
        }
    }
  }

  int count_;
  std::vector<node> nodes_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> commands_{0};
};

void print_memory(const char* who, pid_t pid, double goal_mb) {
  auto [rss, hwm] = memory_kb(pid);
  std::printf("  %s memory: VmRSS %.1f MB, VmHWM %.1f MB; goal %.0f MB: rss/goal = %.2f, "
              "hwm/goal = %.2f (%s)\n",
              who, rss / 1024.0, hwm / 1024.0, goal_mb, rss / 1024.0 / goal_mb,
              hwm / 1024.0 / goal_mb, rss / 1024.0 <= goal_mb ? "met" : "NOT met");
}

} // namespace

int main(int argc, char** argv) {
  int instances = 10000, node_count = 100, node_instances = 2500;
  bool skip_a = false, skip_b = false;
  int settle_s = 2;
  int missed = 3;
  std::string bin = FABRIC_BIN_DIR;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--instances")
      instances = std::stoi(next());
    else if (a == "--nodes")
      node_count = std::stoi(next());
    else if (a == "--node-instances")
      node_instances = std::stoi(next());
    else if (a == "--skip-a")
      skip_a = true;
    else if (a == "--skip-b")
      skip_b = true;
    else if (a == "--bin")
      bin = next();
    else if (a == "--missed")
      missed = std::stoi(next());
    else if (a == "--settle-s")
      settle_s = std::stoi(next());
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("scale_bench: coordinator and node with --threads 2 (CAF scheduler.max-threads=2)\n");
  int rc = 0;

  if (!skip_a) {
    std::printf("A: one coordinator, %d light nodes (in this process), %d instances\n",
                node_count, instances);
    coordinator_proc c;
    c.missed = missed;
    c.dir = fabric::testing::temp_dir("fabric-scale-a");
    if (!c.start(bin, "create_vm=1,start_vm=1,start_role=1")) {
      std::fprintf(stderr, "coordinator did not start (%s)\n", c.dir.c_str());
      return 1;
    }
    print_memory("coordinator (idle)", c.proc.pid(), 50);
    zmq::context_t ctx;
    uint32_t capacity = static_cast<uint32_t>(instances * 2 / node_count + 1);
    {
      fake_nodes fakes{ctx, c.endpoint(), node_count, 10, capacity};
      if (!fabric::testing::wait_until([&] { return c.nodes_up() == node_count; }, 30s)) {
        std::fprintf(stderr, "not every node registered: %d\n", c.nodes_up());
        return 1;
      }
      auto ms = c.deploy(instances, c.dir + "/scratch");
      if (ms < 0) {
        std::fprintf(stderr, "deploy of %d instances did not complete\n", instances);
        rc = 1;
      } else {
        std::printf("  deploy of %d instances over %d nodes: %.0f ms to all ReadyRole "
                    "(%llu commands answered)\n",
                    instances, node_count, ms, static_cast<unsigned long long>(fakes.commands()));
      }
      std::this_thread::sleep_for(std::chrono::seconds(settle_s));  // heartbeats only
      print_memory("coordinator", c.proc.pid(), 50);
    }
    c.proc.kill_and_wait();
    std::error_code ec;
    fs::remove_all(c.dir, ec);
  }

  if (!skip_b) {
    std::printf("B: one coordinator, one real fabric-node, %d instances on it\n", node_instances);
    coordinator_proc c;
    c.missed = missed;
    c.dir = fabric::testing::temp_dir("fabric-scale-b");
    if (!c.start(bin, "create_vm=1,start_vm=1,start_role=1")) {
      std::fprintf(stderr, "coordinator did not start (%s)\n", c.dir.c_str());
      return 1;
    }
    auto node = child_process::spawn(
      bin + "/fabric-node",
      {"--coordinator", c.endpoint(), "--fault-domain", "0", "--name", "big", "--data-dir",
       c.dir + "/big", "--capacity", std::to_string(node_instances), "--threads", "2",
       "--log-level", "warn", "--instance-host", "127.0.0.1"},
      c.dir + "/big.log");
    if (!fabric::testing::wait_until([&] { return c.nodes_up() == 1; }, 10s)) {
      std::fprintf(stderr, "the node did not register (%s)\n", c.dir.c_str());
      return 1;
    }
    print_memory("node (idle)", node.pid(), 40);
    auto ms = c.deploy(node_instances, c.dir + "/scratch");
    if (ms < 0) {
      std::fprintf(stderr, "deploy of %d instances on one node did not complete (%s)\n",
                   node_instances, c.dir.c_str());
      rc = 1;
    } else {
      std::printf("  deploy of %d instances on one node: %.0f ms to all ReadyRole\n",
                  node_instances, ms);
    }
    std::this_thread::sleep_for(std::chrono::seconds(settle_s));
    print_memory("node", node.pid(), 40);
    print_memory("coordinator", c.proc.pid(), 50);
    node.kill_and_wait();
    c.proc.kill_and_wait();
    if (rc == 0) {
      std::error_code ec;
      for (auto& e : fs::recursive_directory_iterator(c.dir, ec))
        if (e.is_directory(ec))
          fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
      fs::remove_all(c.dir, ec);
    }
  }
  return rc;
}
