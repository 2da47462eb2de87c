#include "sim/cluster.hpp"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include <unistd.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <spdlog/spdlog.h>

#include "actors/bridge.hpp"
#include "coordinator/assembly.hpp"
#include "coordinator/controller_actor.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/journal_port.hpp"
#include "coordinator/membership_actor.hpp"
#include "coordinator/reconcile.hpp"
#include "images/image_store.hpp"
#include "node/disk/instance_disks.hpp"
#include "node/instance_manager.hpp"
#include "node/node_actor.hpp"

namespace fabric::sim {

namespace fs = std::filesystem;
using coordinator::api_result;

namespace {

const std::string coordinator_peer = "coordinator";

/// A node's transport that can be cut off for good (kill): afterwards its
/// endpoint has left the network and sends go nowhere, even from actors
/// that have not finished exiting.
class sim_link final : public ::fabric::transport::transport {
public:
  explicit sim_link(std::unique_ptr<::fabric::transport::inmem_endpoint> ep) : ep_(std::move(ep)) {}
  void send(const ::fabric::transport::peer_id& to, std::string bytes) override {
    std::lock_guard<std::mutex> g(mtx_);
    if (ep_)
      ep_->send(to, std::move(bytes));
  }
  std::optional<::fabric::transport::inbound_frame> receive(std::chrono::milliseconds timeout) override {
    std::lock_guard<std::mutex> g(mtx_);
    return ep_ ? ep_->receive(timeout) : std::nullopt;
  }
  ::fabric::transport::transport_stats stats() const override {
    std::lock_guard<std::mutex> g(mtx_);
    return ep_ ? ep_->stats() : ::fabric::transport::transport_stats{};
  }
  void cut() {
    std::lock_guard<std::mutex> g(mtx_);
    ep_.reset();
  }

private:
  mutable std::mutex mtx_;
  std::unique_ptr<::fabric::transport::inmem_endpoint> ep_;
};

void make_writable(const fs::path& dir) {
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_directory(ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
}

} // namespace

std::optional<uint64_t> seed_from_env() {
  const char* s = std::getenv("FABRIC_SIM_SEED");
  if (!s || !*s)
    return std::nullopt;
  try {
    return std::stoull(s);
  } catch (...) {
    return std::nullopt;
  }
}

std::string scratch_base() {
  if (const char* v = std::getenv("FABRIC_SIM_TMPDIR"); v && *v)
    return v;
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

bool serving(const std::string& state) {
  return state == "StartingRole" || state == "ReadyRole" || state == "BusyRole";
}

struct cluster::sim_node {
  std::string name;
  int fault_domain = 0;
  fs::path dir;
  bool alive = false;
  std::shared_ptr<sim_link> link;
  std::unique_ptr<actors::transport_bridge> bridge;
  std::shared_ptr<node::instance_board> board;
  caf::actor agent;
  caf::actor manager;
};

struct cluster::impl {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<transport::inmem_network> net;
  std::shared_ptr<transport::inmem_endpoint> coord_ep;
  std::unique_ptr<actors::transport_bridge> coord_bridge;
  std::unique_ptr<coordinator::model_port> store;  ///< memory, or journaled
  std::unique_ptr<coordinator::image_catalog> images;
  fs::path image_tree;
  std::string digest;
  std::vector<fs::path> extra_trees;  ///< sim_config::extra_images
  caf::actor controller;
  caf::actor membership;
  caf::actor image_server;
  std::map<std::string, sim_node> nodes;

  void run() { sched->run(); }
};

cluster::cluster(sim_config cfg) : cfg_(std::move(cfg)), impl_(std::make_unique<impl>()),
                                   rng_(cfg_.seed) {
  if (cfg_.dir.empty()) {
    std::string templ = scratch_base() + "/fabric-sim-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    cfg_.dir = ::mkdtemp(buf.data()) ? std::string(buf.data()) : std::string("/tmp/fabric-sim");
    own_dir_ = true;
  }
  fs::create_directories(cfg_.dir);
  auto& im = *impl_;
  im.cfg.set("scheduler.policy", caf::atom("testing"));
  im.cfg.set("scheduler.max-threads", static_cast<size_t>(1));
  im.cfg.set("logger.console-verbosity", caf::atom("quiet"));
  im.sys = std::make_unique<caf::actor_system>(im.cfg);
  im.sched = &dynamic_cast<caf::scheduler::test_coordinator&>(im.sys->scheduler());
  // The network's RNG derives from the seed; the cluster's own RNG (fault
  // choices in workloads) is seeded with it too, on another stream.
  im.net = std::make_shared<transport::inmem_network>(std::mt19937_64(cfg_.seed * 2 + 1));
  im.coord_ep = im.net->attach(coordinator_peer);

  // The base image: one tiny tree, in the coordinator's catalog and in every
  // node's image store (a preloaded cache).
  im.image_tree = cfg_.dir / "image-tree";
  fs::create_directories(im.image_tree / "site");
  std::ofstream(im.image_tree / "site" / "index.html") << "<h1>sim</h1>\n";
  im.images = std::make_unique<coordinator::image_catalog>(cfg_.dir / "coordinator");
  if (auto st = im.images->load(); !st)
    spdlog::error("sim: image catalog: {}", st.err().to_string());
  {
    images::image_store scratch{cfg_.dir / "scratch"};
    auto d = scratch.import_directory(im.image_tree);
    if (d) {
      im.digest = *d;
      std::ostringstream archive;
      if (scratch.export_image(*d, archive).ok())
        if (auto added = im.images->add("base", archive.str()); !added)
          spdlog::error("sim: image: {}", added.err().to_string());
    }
  }

  for (auto& name : cfg_.extra_images) {
    auto tree = cfg_.dir / ("image-" + name);
    fs::create_directories(tree / "site");
    std::ofstream(tree / "site" / "index.html") << "<h1>sim " << name << "</h1>\n";
    images::image_store scratch{cfg_.dir / "scratch"};
    std::ostringstream archive;
    auto d = scratch.import_directory(tree);
    if (!d || !scratch.export_image(*d, archive).ok() || !im.images->add(name, archive.str()))
      spdlog::error("sim: cannot add the image {}", name);
    im.extra_trees.push_back(tree);
  }
  if (cfg_.journaled) {
    journal::model_store_options o;
    o.journal.sync = journal::sync_mode::off;
    o.journal.exclusive = false;
    o.snapshot_every = cfg_.journal_snapshot_every;
    auto st = journal::model_store::open(journal_dir().string(), o);
    if (st)
      im.store = std::make_unique<coordinator::journal_model_port>(std::move(*st));
    else
      spdlog::error("sim: journal: {}", st.err().to_string());
  }
  if (!im.store)
    im.store = std::make_unique<coordinator::memory_model_port>();

  coordinator::controller_config ccfg;
  ccfg.phase_durations_ms = cfg_.phase_ms;
  ccfg.operation_prefix = "sim";
  ccfg.unseen_node_grace = cfg_.heartbeat * (cfg_.missed_heartbeats + 1);
  ccfg.command_retry = ms(1000);
  core_ = std::make_shared<coordinator::controller>(*im.store, im.images.get(), ccfg);
  // The same assembly as fabric-coordinator (coordinator/assembly.hpp), on
  // the in-memory transport; every actor on the deterministic scheduler.
  coordinator::assembly_config acfg;
  acfg.membership.detector = {cfg_.heartbeat, cfg_.missed_heartbeats};
  acfg.membership.first_epoch = 1;
  acfg.dedicated_threads = false;
  auto spawned = coordinator::spawn_coordinator_actors(
    *im.sys, core_, im.images.get(), std::static_pointer_cast<transport::transport>(im.coord_ep),
    acfg);
  im.controller = spawned.controller;
  im.image_server = spawned.image_server;
  im.membership = spawned.membership;
  im.coord_bridge = std::make_unique<actors::transport_bridge>(*im.coord_ep);
  spawned.route(*im.coord_bridge);

  for (int i = 0; i < cfg_.nodes; ++i) {
    sim_node n;
    n.name = "n" + std::to_string(i);
    n.fault_domain = i % std::max(1, cfg_.fault_domains);
    n.dir = cfg_.dir / n.name;
    fs::create_directories(n.dir);
    images::image_store store{n.dir};
    if (auto d = store.import_directory(im.image_tree); !d || *d != im.digest)
      spdlog::error("sim: cannot preload the image on {}", n.name);
    for (auto& tree : im.extra_trees)
      if (!store.import_directory(tree))
        spdlog::error("sim: cannot preload {} on {}", tree.filename().string(), n.name);
    auto& slot = im.nodes[n.name];
    slot = std::move(n);
    start_node(slot);
  }
  im.run();
}

cluster::~cluster() {
  auto& im = *impl_;
  for (auto& [name, n] : im.nodes)
    if (n.alive) {
      caf::anon_send_exit(n.agent, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(n.manager, caf::exit_reason::user_shutdown);
    }
  for (auto& a : {im.controller, im.membership, im.image_server})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  im.run();
  for (auto& [name, n] : im.nodes)
    if (n.link)
      n.link->cut();
  im.coord_bridge.reset();
  impl_.reset();
  core_.reset();
  if (own_dir_ && !keep_dir_) {
    make_writable(cfg_.dir);
    std::error_code ec;
    fs::remove_all(cfg_.dir, ec);
  }
}

void cluster::start_node(sim_node& n) {
  auto& im = *impl_;
  if (auto st = disk::clean_leftovers(n.dir); !st)
    spdlog::warn("sim: {}: {}", n.name, st.err().message);
  n.link = std::make_shared<sim_link>(im.net->attach(n.name, coordinator_peer));
  n.board = std::make_shared<node::instance_board>();
  auto env = std::make_shared<node::instance_env>();
  env->data_dir = n.dir;
  env->host = "127.0.0.1";
  env->ports = nullptr;
  env->report = [board = n.board, link = n.link](const protocol::instance_report& r) {
    board->update(r);
    if (!r.state.empty())
      link->send({}, protocol::encode(r));
  };
  node::instance_manager_config mcfg;
  mcfg.env = env;
  mcfg.capacity = cfg_.capacity;
  mcfg.request_image = [link = n.link](const protocol::image_request& r) {
    link->send({}, protocol::encode(r));
  };
  n.manager = im.sys->spawn(node::instance_manager, std::move(mcfg));
  node::node_actor_config ncfg;
  ncfg.identity = {n.name, static_cast<uint32_t>(n.fault_domain), "127.0.0.1", cfg_.capacity,
                   "sim"};
  ncfg.detector = {cfg_.heartbeat, cfg_.missed_heartbeats};
  ncfg.held = [dir = n.dir] { return node::held_on_disk(dir); };
  ncfg.instances = [board = n.board] { return board->snapshot(); };
  ncfg.commands = n.manager;
  ncfg.on_fence = [manager = n.manager](bool fenced) {
    caf::anon_send(manager, node::fence_msg{fenced});
  };
  n.agent = im.sys->spawn(node::node_actor, std::move(ncfg),
                          std::static_pointer_cast<transport::transport>(n.link));
  n.bridge = std::make_unique<actors::transport_bridge>(*n.link);
  n.bridge->route(protocol::image_chunk::type_id, n.manager);
  n.bridge->route_default(n.agent);
  n.alive = true;
}

// -- time ----------------------------------------------------------------------

void cluster::deliver() {
  auto& im = *impl_;
  for (int round = 0; round < 10000; ++round) {
    im.net->deliver_all();
    bool moved = false;
    while (auto f = im.coord_ep->try_receive()) {
      im.coord_bridge->dispatch(std::move(*f));
      moved = true;
    }
    for (auto& [name, n] : im.nodes) {
      if (!n.alive)
        continue;
      while (auto f = n.link->receive(std::chrono::milliseconds(0))) {
        n.bridge->dispatch(std::move(*f));
        moved = true;
      }
    }
    im.run();
    if (!moved && im.net->in_flight() == 0)
      return;
  }
}

void cluster::step() {
  auto& im = *impl_;
  im.sched->advance_time(cfg_.tick);
  now_ += cfg_.tick;
  im.run();
  deliver();
}

void cluster::run_for(ms d) {
  for (ms t{0}; t < d; t += cfg_.tick)
    step();
}

bool cluster::run_until(const std::function<bool()>& pred, ms limit) {
  if (pred())
    return true;
  for (ms t{0}; t < limit; t += cfg_.tick) {
    step();
    if (pred())
      return true;
  }
  return false;
}

// -- faults --------------------------------------------------------------------

void cluster::kill_node(const std::string& name) {
  auto& im = *impl_;
  auto i = im.nodes.find(name);
  if (i == im.nodes.end() || !i->second.alive)
    return;
  auto& n = i->second;
  n.alive = false;
  n.link->cut();  // leaves the network at once: nothing more goes out
  caf::anon_send_exit(n.agent, caf::exit_reason::kill);
  caf::anon_send_exit(n.manager, caf::exit_reason::kill);
  im.run();
  n.bridge.reset();
  n.agent = nullptr;
  n.manager = nullptr;
}

void cluster::restart_node(const std::string& name) {
  auto i = impl_->nodes.find(name);
  if (i == impl_->nodes.end() || i->second.alive)
    return;
  start_node(i->second);
  impl_->run();
}

fs::path cluster::journal_dir() const {
  return cfg_.journaled ? cfg_.dir / "journal" : fs::path();
}

bool cluster::alive(const std::string& name) const {
  auto i = impl_->nodes.find(name);
  return i != impl_->nodes.end() && i->second.alive;
}

void cluster::partition_from_coordinator(const std::set<std::string>& nodes) {
  impl_->net->partition({coordinator_peer}, nodes);
}

void cluster::partition(const std::set<std::string>& a, const std::set<std::string>& b) {
  impl_->net->partition(a, b);
}

void cluster::heal() { impl_->net->heal(); }

void cluster::set_faults(const transport::fault_settings& f) { impl_->net->set_faults(f); }

transport::inmem_stats cluster::network_stats() const { return impl_->net->stats(); }

// -- the coordinator -------------------------------------------------------------

api_result cluster::api(std::function<api_result(coordinator::controller&)> fn) {
  auto out = std::make_shared<api_result>(
    coordinator::api_error(503, "ServiceUnavailable", "the controller did not run the call"));
  caf::anon_send(impl_->controller, coordinator::api_call{[fn, out](coordinator::controller& c) {
                   *out = fn(c);
                   return *out;
                 }});
  impl_->run();
  deliver();
  return *out;
}

api_result cluster::deploy(const std::string& service, const std::string& name,
                           const std::string& csdef, const std::string& cscfg) {
  auto created = api([service](coordinator::controller& c) {
    return coordinator::json_api::create_service(c, nlohmann::json{{"name", service}}.dump());
  });
  if (created.status >= 400 && created.status != 409)
    return created;
  nlohmann::json body{{"csdef", csdef}, {"cscfg", cscfg}, {"image", "base"}, {"name", name}};
  return api([service, b = body.dump()](coordinator::controller& c) {
    return coordinator::json_api::start_operation(c, "deploy", {service, "production", b});
  });
}

// -- the nodes -------------------------------------------------------------------

std::vector<std::string> cluster::node_names() const {
  std::vector<std::string> out;
  for (auto& [name, n] : impl_->nodes)
    out.push_back(name);
  return out;
}

int cluster::fault_domain_of(const std::string& node) const {
  auto i = impl_->nodes.find(node);
  return i == impl_->nodes.end() ? -1 : i->second.fault_domain;
}

std::vector<protocol::instance_status> cluster::instances_on(const std::string& node) const {
  auto i = impl_->nodes.find(node);
  if (i == impl_->nodes.end() || !i->second.alive)
    return {};
  return i->second.board->snapshot();
}

void cluster::inject_report(const std::string& node, const protocol::instance_report& r) {
  auto i = impl_->nodes.find(node);
  if (i != impl_->nodes.end() && i->second.alive)
    i->second.board->update(r);
}

std::set<std::string> cluster::on_disk(const std::string& node) const {
  std::set<std::string> out;
  auto i = impl_->nodes.find(node);
  if (i == impl_->nodes.end())
    return out;
  if (auto list = disk::list_instances(i->second.dir))
    for (auto& d : *list)
      out.insert(d.instance);
  return out;
}

// -- invariants ------------------------------------------------------------------

namespace {

template <class F>
void for_each_instance(const model::fabric_model& m, F f) {
  for (auto& [sname, svc] : m.services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        for (auto& i : d->instances)
          f(*d, i);
}

} // namespace

std::vector<std::string> invariants::no_instance_serves_twice(const cluster& c) {
  std::map<std::string, std::vector<std::string>> where;
  for (auto& node : c.node_names())
    for (auto& s : c.instances_on(node))
      if (serving(s.state))
        where[s.instance_name].push_back(node + "(" + s.state + ")");
  std::vector<std::string> out;
  for (auto& [wire, nodes] : where)
    if (nodes.size() > 1) {
      std::string msg = wire + " serves on " + std::to_string(nodes.size()) + " nodes:";
      for (auto& n : nodes)
        msg += " " + n;
      out.push_back(msg);
    }
  return out;
}

std::vector<std::string> invariants::placed_once_on_a_live_node(const cluster& c) {
  std::vector<std::string> out;
  auto& ctl = c.controller();
  std::map<std::string, std::string> serving_on;
  for (auto& node : c.node_names())
    for (auto& s : c.instances_on(node))
      if (serving(s.state))
        serving_on[s.instance_name] = node;
  for_each_instance(ctl.model(), [&](const model::deployment& d, const model::instance& i) {
    auto wire = coordinator::wire_name(d.name, i.name);
    if (i.node.empty()) {
      out.push_back(wire + " is not placed");
      return;
    }
    auto n = ctl.nodes().find(i.node);
    if (!c.alive(i.node) || n == ctl.nodes().end() || !n->second.up)
      out.push_back(wire + " is placed on " + i.node + ", which is not a live node");
    auto s = serving_on.find(wire);
    if (s != serving_on.end() && s->second != i.node)
      out.push_back(wire + " is placed on " + i.node + " but serves on " + s->second);
  });
  return out;
}

std::vector<std::string> invariants::all_ready(const cluster& c) {
  std::vector<std::string> out;
  auto& ctl = c.controller();
  std::map<std::string, std::map<std::string, std::string>> reported;  // node -> wire -> state
  for (auto& node : c.node_names())
    for (auto& s : c.instances_on(node))
      reported[node][s.instance_name] = s.state;
  for_each_instance(ctl.model(), [&](const model::deployment& d, const model::instance& i) {
    auto wire = coordinator::wire_name(d.name, i.name);
    auto* o = ctl.observed(wire);
    auto observed = o ? model::to_string(o->state) : std::string("(none)");
    auto node_state = reported[i.node].count(wire) ? reported[i.node][wire] : "(absent)";
    if (observed != "ReadyRole" || node_state != "ReadyRole")
      out.push_back(wire + " on " + i.node + ": controller sees " + observed + ", node reports "
                    + node_state);
  });
  return out;
}

std::vector<std::string> invariants::fault_domains_spread(const cluster& c) {
  std::vector<std::string> out;
  auto& ctl = c.controller();
  std::set<int> live_fds;
  for (auto& [name, n] : ctl.nodes())
    if (n.up)
      live_fds.insert(n.fault_domain);
  for (auto& [sname, svc] : ctl.model().services)
    for (auto s : {model::slot::production, model::slot::staging}) {
      auto& d = svc.in(s);
      if (!d)
        continue;
      std::map<std::string, std::set<int>> fds;
      std::map<std::string, int> count;
      for (auto& i : d->instances) {
        if (!i.node.empty() && i.fault_domain != c.fault_domain_of(i.node))
          out.push_back(coordinator::wire_name(d->name, i.name) + " has FD "
                        + std::to_string(i.fault_domain) + " but its node " + i.node
                        + " is in FD " + std::to_string(c.fault_domain_of(i.node)));
        fds[i.role].insert(i.fault_domain);
        ++count[i.role];
      }
      for (auto& [role, n] : count)
        if (n >= 2 && live_fds.size() >= 2 && fds[role].size() < 2)
          out.push_back(d->name + " role " + role + ": " + std::to_string(n)
                        + " instances in a single FD while " + std::to_string(live_fds.size())
                        + " FDs are live");
    }
  return out;
}

} // namespace fabric::sim
