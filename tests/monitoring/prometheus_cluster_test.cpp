// Metrics on real processes, read by a real Prometheus (Debian's 2.42,
// /usr/bin/prometheus): fabric-coordinator and three fabric-node processes
// (one per fault domain) with --metrics-listen, Prometheus scraping them every
// second through file_sd target files (the format scripts/local-cluster.sh
// writes) with the repository's alert rules (a copy whose `for:` is 1s: the
// expressions are the real ones). Scenario: deploy the 10-instance role of
// tests/data/models/ten-web.*, a 5-UD in-place upgrade (Auto), a garbage
// frame, kill -9 of a node. Then every expression of every dashboard panel and
// every alert rule is evaluated through /api/v1/query_range and must return
// data (exceptions listed below with their reason), the walk minimum must be
// 0.8, and NodeDown / FaultDomainLost must fire (/api/v1/alerts).
// Also: `promtool check metrics` on each process's live /metrics, and the
// --metrics-listen errors. Waits are bounded polls.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <zmq.hpp>

#include "monitoring/metric_names.hpp"
#include "tests/integration/local_cluster.hpp"

namespace fabric {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::child_process;
using testing::wait_until;

const std::string bin_dir = FABRIC_BIN_DIR;
const std::string data_dir = FABRIC_TEST_DATA;
const std::string repo_dir = FABRIC_REPO_DIR;
const std::string prometheus_bin = "/usr/bin/prometheus";
const std::string promtool_bin = "/usr/bin/promtool";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Every PromQL expression of a Grafana dashboard: panel targets and
/// annotations ("expr"), and the metric of each label_values() variable.
void collect_exprs(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    if (j.contains("expr") && j["expr"].is_string())
      out.push_back(j["expr"].get<std::string>());
    for (auto& [k, v] : j.items())
      collect_exprs(v, out);
  } else if (j.is_array()) {
    for (auto& v : j)
      collect_exprs(v, out);
  }
}

struct cluster : ::testing::Test {
  std::string dir = testing::temp_dir("fabric-prom");
  int zmq_port = testing::free_tcp_port();
  int api_port = testing::free_tcp_port();
  int coordinator_metrics = testing::free_tcp_port();
  std::map<std::string, int> node_metrics;
  std::string nodes_endpoint = "tcp://127.0.0.1:" + std::to_string(zmq_port);
  std::string url = "http://127.0.0.1:" + std::to_string(api_port);
  child_process coordinator;
  std::map<std::string, child_process> nodes;
  /// 10 missed heartbeats (1 s), on both sides (local_cluster.hpp).
  testing::detection_policy detection{100, 10};
  child_process prometheus;
  int prom_port = 0;
  int calls_ = 0;

  void TearDown() override {
    prometheus.kill_and_wait();
    nodes.clear();
    coordinator.kill_and_wait();
    if (!HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }

  void start_coordinator(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
      "--nodes-listen", nodes_endpoint, "--api-listen", "127.0.0.1:" + std::to_string(api_port),
      // 10 missed heartbeats (1 s): a loaded CI machine can stall a process for a
      // few hundred ms, and a node that hears nothing for its timeout fences its
      // instances (a capacity dip that is not the walk's).
      "--data-dir", dir + "/coordinator", "--heartbeat-ms", std::to_string(detection.heartbeat_ms),
      "--missed-heartbeats", std::to_string(detection.missed_heartbeats),
      // Long enough phases that each UD's dip lasts several metric refreshes.
      "--phase-ms", "create_vm=300,start_vm=300,start_role=400",
      // The killed node's instances are healed at detection (the scenario
      // reads the replacement counter); the binary waits 30 s by default.
      "--heal-delay-ms", "0",
      "--metrics-listen", "127.0.0.1:" + std::to_string(coordinator_metrics)};
    args.insert(args.end(), extra.begin(), extra.end());
    coordinator = child_process::spawn(bin_dir + "/fabric-coordinator", args,
                                       dir + "/coordinator.log");
    ASSERT_TRUE(testing::wait_http_ready("127.0.0.1", api_port, "/fabric/v1/nodes"))
      << read_file(dir + "/coordinator.log");
  }

  void start_node(const std::string& name, int fd) {
    node_metrics[name] = testing::free_tcp_port();
    nodes[name] = child_process::spawn(
      bin_dir + "/fabric-node",
      testing::node_flags(nodes_endpoint, name, fd, dir + "/" + name, detection,
                          {"--metrics-listen", "127.0.0.1:" + std::to_string(node_metrics[name]),
                           "--metrics-refresh-ms", "250"}),
      dir + "/" + name + ".log");
  }

  bool nodes_up(std::size_t n) {
    auto j = testing::get_json("127.0.0.1", api_port, "/fabric/v1/nodes");
    std::size_t up = 0;
    if (j && j->contains("nodes"))
      for (auto& node : (*j)["nodes"])
        up += node["state"] == "up";
    return up == n;
  }

  void start_cluster() {
    start_coordinator();
    start_node("n0", 0);
    start_node("n1", 1);
    start_node("n2", 2);
    ASSERT_TRUE(wait_until([&] { return nodes_up(3); }, 10s));
  }

  int ctl(std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {"--coordinator", url});
    auto log = dir + "/fabricctl-" + std::to_string(calls_++) + ".out";
    auto p = child_process::spawn(bin_dir + "/fabricctl", args, log);
    auto st = p.wait(180s);
    if (out)
      *out = read_file(log);
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }

  /// Runs `sh -c script`; exit status, output in `out`.
  int shell(const std::string& script, std::string* out = nullptr) {
    auto log = dir + "/sh-" + std::to_string(calls_++) + ".out";
    auto p = child_process::spawn("/bin/sh", {"-c", script}, log);
    auto st = p.wait(60s);
    if (out)
      *out = read_file(log);
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }

  // -- Prometheus ----------------------------------------------------------------

  void start_prometheus() {
    fs::create_directories(dir + "/prom/targets");
    std::ofstream(dir + "/prom/targets/coordinator.json")
      << "[{\"targets\": [\"127.0.0.1:" << coordinator_metrics << "\"]}]\n";
    std::ofstream nodes_file(dir + "/prom/targets/nodes.json");
    nodes_file << "[{\"targets\": [";
    bool first = true;
    for (auto& [name, port] : node_metrics) {
      nodes_file << (first ? "" : ", ") << "\"127.0.0.1:" << port << "\"";
      first = false;
    }
    nodes_file << "]}]\n";
    nodes_file.close();
    // The real rules with short `for:` durations.
    auto rules = std::regex_replace(read_file(repo_dir + "/monitoring/alerts.yml"),
                                    std::regex("for: [0-9]+[smh]"), "for: 1s");
    std::ofstream(dir + "/prom/alerts.yml") << rules;
    std::ofstream(dir + "/prom/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n"
         "rule_files:\n  - alerts.yml\n"
         "scrape_configs:\n"
         "  - job_name: fabric-coordinator\n    file_sd_configs:\n"
         "      - files: ['targets/coordinator*.json']\n"
         "  - job_name: fabric-node\n    file_sd_configs:\n"
         "      - files: ['targets/nodes*.json']\n";
    prom_port = testing::free_tcp_port();
    prometheus = child_process::spawn(
      prometheus_bin,
      {"--config.file=" + dir + "/prom/prometheus.yml", "--storage.tsdb.path=" + dir + "/prom/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
      dir + "/prometheus.log");
    ASSERT_TRUE(testing::wait_http_ready("127.0.0.1", prom_port, "/-/ready", 30s))
      << read_file(dir + "/prometheus.log");
    ASSERT_TRUE(wait_until(
      [&] {
        auto t = testing::get_json("127.0.0.1", prom_port, "/api/v1/targets");
        if (!t)
          return false;
        int up = 0;
        for (auto& a : (*t)["data"]["activeTargets"])
          up += a["health"] == "up";
        return up == 4;
      },
      20s))
      << testing::http_get("127.0.0.1", prom_port, "/api/v1/targets").value_or("");
  }

  nlohmann::json prom_post(const std::string& path, const httplib::Params& params) {
    httplib::Client c("127.0.0.1", prom_port);
    c.set_read_timeout(10, 0);
    auto res = c.Post(path.c_str(), params);
    if (!res)
      return {};
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    return j.is_discarded() ? nlohmann::json{} : j;
  }

  nlohmann::json query(const std::string& expr) {
    return prom_post("/api/v1/query", {{"query", expr}});
  }

  nlohmann::json query_range(const std::string& expr, double from, double to) {
    char a[32], b[32];
    std::snprintf(a, sizeof a, "%.3f", from);
    std::snprintf(b, sizeof b, "%.3f", to);
    return prom_post("/api/v1/query_range", {{"query", expr}, {"start", a}, {"end", b}, {"step", "1"}});
  }

  /// The finite values of a query_range answer (every series, every step).
  static std::vector<double> values_of(const nlohmann::json& r) {
    std::vector<double> out;
    if (!r.contains("data"))
      return out;
    for (auto& series : r["data"]["result"])
      for (auto& v : series["values"]) {
        double x = std::stod(v[1].get<std::string>());
        if (std::isfinite(x))
          out.push_back(x);
      }
    return out;
  }

  /// The firing alerts, by name.
  std::set<std::string> firing() {
    std::set<std::string> out;
    auto a = testing::get_json("127.0.0.1", prom_port, "/api/v1/alerts");
    if (a)
      for (auto& alert : (*a)["data"]["alerts"])
        if (alert["state"] == "firing")
          out.insert(alert["labels"]["alertname"].get<std::string>());
    return out;
  }
};

// -- promtool on the live /metrics of each process ------------------------------------

TEST_F(cluster, live_metrics_of_every_process_pass_promtool) {
  start_cluster();
  std::vector<std::pair<std::string, int>> targets{{"coordinator", coordinator_metrics}};
  for (auto& [name, port] : node_metrics)
    targets.push_back({name, port});
  // The node disks are measured and the wire has carried heartbeats.
  ASSERT_TRUE(wait_until([&] {
    auto text = testing::http_get("127.0.0.1", node_metrics["n0"], "/metrics").value_or("");
    return text.find("fabric_wire_messages_total{direction=\"out\",type=\"heartbeat\"}")
           != std::string::npos;
  }));
  for (auto& [name, port] : targets) {
    auto text = testing::http_get("127.0.0.1", port, "/metrics");
    ASSERT_TRUE(text) << name;
    auto file = dir + "/" + name + ".prom";
    std::ofstream(file) << *text;
    std::string out;
    EXPECT_EQ(shell(promtool_bin + " check metrics < " + file, &out), 0) << name << ":\n" << out;
    EXPECT_NE(text->find("fabric_build_info{"), std::string::npos) << name;
    EXPECT_NE(text->find("fabric_wire_frames_dropped_total{reason=\"malformed\"} 0"),
              std::string::npos)
      << name;
  }
  auto coord = *testing::http_get("127.0.0.1", coordinator_metrics, "/metrics");
  EXPECT_NE(coord.find("fabric_nodes{fault_domain=\"2\",state=\"up\"} 1"), std::string::npos)
    << coord;
  EXPECT_NE(coord.find("fabric_wire_messages_total{direction=\"in\",type=\"heartbeat\"}"),
            std::string::npos);
  EXPECT_EQ(coord.find("role_instance="), std::string::npos) << "no per-instance series by default";
  auto n1 = *testing::http_get("127.0.0.1", node_metrics["n1"], "/metrics");
  EXPECT_NE(n1.find("fabric_heartbeat_rtt_seconds_count{fault_domain=\"1\"}"), std::string::npos)
    << n1;
  EXPECT_NE(n1.find("fabric_node_os_layer_bytes{fault_domain=\"1\",node=\"n1\"}"),
            std::string::npos)
    << n1;
}

TEST_F(cluster, metrics_listen_errors_exit_two_and_port_zero_is_logged) {
  // Port in use: the coordinator's own API port.
  start_coordinator();
  auto busy = child_process::spawn(
    bin_dir + "/fabric-node",
    {"--coordinator", nodes_endpoint, "--fault-domain", "0", "--name", "x", "--data-dir",
     dir + "/x", "--metrics-listen", "127.0.0.1:" + std::to_string(api_port)},
    dir + "/busy.log");
  auto st = busy.wait(10s);
  ASSERT_TRUE(st);
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 2);
  EXPECT_NE(read_file(dir + "/busy.log").find("--metrics-listen: cannot serve metrics on 127.0.0.1:"
                                              + std::to_string(api_port)),
            std::string::npos)
    << read_file(dir + "/busy.log");
  coordinator.kill_and_wait();

  // Port 0 on the coordinator: any free port, logged.
  coordinator = child_process::spawn(
    bin_dir + "/fabric-coordinator",
    {"--nodes-listen", nodes_endpoint, "--api-listen", "127.0.0.1:" + std::to_string(api_port),
     "--data-dir", dir + "/c0", "--metrics-listen", "127.0.0.1:0"},
    dir + "/c0.log");
  std::smatch m;
  std::string log;
  ASSERT_TRUE(wait_until([&] {
    log = read_file(dir + "/c0.log");
    return std::regex_search(log, m, std::regex("metrics on http://127.0.0.1:([0-9]+)/metrics"));
  })) << log;
  int port = std::stoi(m[1].str());
  EXPECT_GT(port, 0);
  EXPECT_TRUE(testing::wait_http_ready("127.0.0.1", port, "/metrics"));
}

// -- the real Prometheus ----------------------------------------------------------------

TEST_F(cluster, prometheus_evaluates_every_panel_and_rule_over_an_upgrade_and_a_node_loss) {
  ASSERT_TRUE(fs::exists(prometheus_bin)) << "Debian package prometheus (fabric.sh installs it)";
  start_cluster();
  start_prometheus();
  double t0 = unix_now();

  // Deploy 10 instances over 5 UDs and 3 FDs.
  fs::create_directories(dir + "/image/site");
  std::ofstream(dir + "/image/site/index.html") << "<h1>v1</h1>\n";
  fs::create_directories(dir + "/image2/site");
  std::ofstream(dir + "/image2/site/index.html") << "<h1>v2</h1>\n";
  std::string out;
  ASSERT_EQ(ctl({"image", "upload", "tiny", dir + "/image"}, &out), 0) << out;
  ASSERT_EQ(ctl({"image", "upload", "tiny-v2", dir + "/image2"}, &out), 0) << out;
  ASSERT_EQ(ctl({"service", "create", "tw"}, &out), 0) << out;
  auto csdef = data_dir + "/models/ten-web.csdef";
  auto cscfg = data_dir + "/models/ten-web.cscfg";
  ASSERT_EQ(ctl({"deploy", "--service", "tw", "--slot", "production", "--csdef", csdef, "--cscfg",
                 cscfg, "--image", "tiny", "--name", "tw", "--wait", "--timeout", "60"},
                &out),
            0)
    << out;
  // Capacity 1.0 seen by Prometheus before the walk starts.
  ASSERT_TRUE(wait_until(
    [&] {
      auto v = values_of(query_range("fabric_role_capacity_ratio{service=\"tw\"}", unix_now() - 1,
                                     unix_now()));
      return !v.empty() && v.back() == 1.0;
    },
    15s));

  // A garbage frame: counted as dropped (malformed) by the coordinator.
  {
    zmq::context_t ctx;
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 1000);
    dealer.connect(nodes_endpoint);
    dealer.send(zmq::buffer(std::string("\xc1garbage")), zmq::send_flags::none);
  }

  // The 5-UD in-place upgrade, Auto mode.
  double walk_start = unix_now();
  ASSERT_EQ(ctl({"upgrade", "--help"}, &out), 0) << "fabricctl has no upgrade command:\n" << out;
  ASSERT_EQ(ctl({"upgrade", "--service", "tw", "--slot", "production", "--image", "tiny-v2",
                 "--mode", "auto", "--wait"},
                &out),
            0)
    << out;
  double walk_end = unix_now();

  // Node loss: n2 is the only node of fault domain 2.
  nodes["n2"].kill_and_wait();
  std::set<std::string> alerts;
  EXPECT_TRUE(wait_until(
    [&] {
      alerts = firing();
      return alerts.count("NodeDown") && alerts.count("FaultDomainLost");
    },
    30s, 500ms))
    << "firing: " << alerts.size();
  // Healing re-placed n2's instances; Prometheus has scraped it.
  ASSERT_TRUE(wait_until(
    [&] {
      return !values_of(query_range("fabric_instance_replacements_total", unix_now() - 1,
                                    unix_now()))
                .empty();
    },
    20s, 500ms));
  std::this_thread::sleep_for(3s);  // a few more scrapes and rule evaluations
  double t1 = unix_now();

  // The walk minimum: 0.8 (2 of 10 instances in a UD at a time), never lower.
  auto walk_min = values_of(
    query_range("fabric_walk_min_capacity_ratio{service=\"tw\"}", walk_start - 1, walk_end + 1));
  ASSERT_FALSE(walk_min.empty()) << "no walk minimum scraped during the walk";
  EXPECT_DOUBLE_EQ(*std::min_element(walk_min.begin(), walk_min.end()), 0.8);
  auto capacity = values_of(
    query_range("fabric_role_capacity_ratio{service=\"tw\"}", walk_start, walk_end));
  ASSERT_FALSE(capacity.empty());
  EXPECT_GE(*std::min_element(capacity.begin(), capacity.end()), 0.8 - 1e-9);
  auto dropped = values_of(query_range(
    "fabric_wire_frames_dropped_total{job=\"fabric-coordinator\",reason=\"malformed\"}", t1 - 2, t1));
  ASSERT_FALSE(dropped.empty());
  EXPECT_GE(dropped.back(), 1.0);

  // Every dashboard expression returns data over the scenario, with the
  // Grafana variables set to "All" and the intervals fixed.
  // None: the event series (operations by kind and result, walk durations,
  // per-FD detections) exist at 0 before their first event, so even the
  // failed share has data (0) after an operation finished.
  const std::map<std::string, std::string> no_data_expected{};
  std::string range = std::to_string(static_cast<int>(t1 - t0) + 5) + "s";
  std::vector<std::string> exprs;
  for (auto& e : fs::directory_iterator(repo_dir + "/monitoring/grafana/dashboards")) {
    auto doc = nlohmann::json::parse(read_file(e.path().string()));
    collect_exprs(doc["panels"], exprs);
    collect_exprs(doc["annotations"], exprs);
    for (auto& v : doc["templating"]["list"])
      if (v["type"] == "query") {
        std::smatch lm;
        std::string q = v["query"]["query"];
        if (std::regex_match(q, lm, std::regex(R"(label_values\((.*),\s*(\w+)\s*\))")))
          exprs.push_back("count by (" + lm[2].str() + ") (" + lm[1].str() + ")");
      }
  }
  ASSERT_GT(exprs.size(), 40u);
  int checked = 0;
  for (auto expr : exprs) {
    for (auto [var, value] : std::map<std::string, std::string>{{"$service", ".*"},
                                                                {"$slot", ".*"},
                                                                {"$role", ".*"},
                                                                {"$__rate_interval", "10s"},
                                                                {"$__range", range}})
      for (std::size_t at; (at = expr.find(var)) != std::string::npos;)
        expr.replace(at, var.size(), value);
    auto r = query_range(expr, t0, t1);
    ASSERT_EQ(r.value("status", ""), "success") << expr << "\n" << r.dump();
    bool exempt = false;
    for (auto& [what, why] : no_data_expected)
      exempt = exempt || expr.find(what) != std::string::npos;
    if (exempt)
      continue;
    EXPECT_FALSE(values_of(r).empty()) << "no data: " << expr;
    ++checked;
  }
  EXPECT_GT(checked, 40);

  // Every alert rule Prometheus loaded (the repository's expressions).
  const std::map<std::string, std::string> rule_no_data_expected{
    {"CapacityUnderFloorDuringWalk",
     "the walk kept 0.8 of the capacity (asserted above), above the 0.75 floor"},
    {"UpgradeStuck", "the walk advanced every few seconds"},
  };
  auto rules = testing::get_json("127.0.0.1", prom_port, "/api/v1/rules");
  ASSERT_TRUE(rules);
  std::set<std::string> seen;
  for (auto& g : (*rules)["data"]["groups"])
    for (auto& rule : g["rules"]) {
      std::string name = rule["name"];
      seen.insert(name);
      EXPECT_EQ(rule["health"], "ok") << name << ": " << rule.dump();
      auto r = query_range(rule["query"].get<std::string>(), t0, t1);
      ASSERT_EQ(r.value("status", ""), "success") << name;
      if (rule_no_data_expected.count(name))
        EXPECT_TRUE(values_of(r).empty()) << name << " fired: " << r.dump();
      else
        EXPECT_FALSE(values_of(r).empty()) << "no data: " << name;
    }
  EXPECT_EQ(seen, (std::set<std::string>{"NodeDown", "FaultDomainLost",
                                         "CapacityUnderFloorDuringWalk", "UpgradeStuck"}));
  alerts = firing();
  EXPECT_TRUE(alerts.count("NodeDown"));
  EXPECT_TRUE(alerts.count("FaultDomainLost"));

  // Every family the issue lists was scraped from a real process during the
  // scenario, with the labels the issue asks for (the family list of the
  // issue, bullet by bullet).
  const std::vector<std::pair<std::string, std::vector<std::string>>> issue_families{
    // instances by state, per service, slot, role, UD and FD
    {"fabric_instances", {"service", "slot", "role", "upgrade_domain", "fault_domain", "state"}},
    // capacity: ready over desired per role and slot, per UD, per FD, walk minimum
    {"fabric_role_instances_desired", {"service", "slot", "role"}},
    {"fabric_role_instances_ready", {"service", "slot", "role"}},
    {"fabric_role_capacity_ratio", {"service", "slot", "role"}},
    {"fabric_upgrade_domain_capacity_ratio", {"service", "slot", "role", "upgrade_domain"}},
    {"fabric_fault_domain_capacity_ratio", {"service", "slot", "role", "fault_domain"}},
    {"fabric_walk_min_capacity_ratio", {"service", "slot", "role"}},
    // versions serving at once per role, instances on each version
    {"fabric_role_versions_serving", {"service", "slot", "role"}},
    {"fabric_role_version_instances", {"service", "slot", "role", "version"}},
    // upgrade progress: mode, current UD, Before/During, UDs walked, walk duration
    {"fabric_upgrade_in_progress", {"service", "slot", "mode"}},
    {"fabric_upgrade_current_domain", {"service", "slot"}},
    {"fabric_upgrade_domain_during", {"service", "slot"}},
    {"fabric_upgrade_domains_walked", {"service", "slot"}},
    {"fabric_upgrade_walk_domains", {"service", "slot"}},
    {"fabric_upgrade_domain_walked", {"service", "slot", "upgrade_domain"}},
    {"fabric_upgrade_domain_updated_ratio", {"service", "slot", "role", "upgrade_domain"}},
    {"fabric_upgrade_walk_duration_seconds_count", {"mode"}},
    // operations by kind and result, with a duration histogram
    {"fabric_operations_total", {"kind", "result"}},
    {"fabric_operation_duration_seconds_count", {"kind"}},
    // membership
    {"fabric_nodes", {"fault_domain", "state"}},
    {"fabric_heartbeat_rtt_seconds_count", {"fault_domain"}},
    {"fabric_heartbeats_missed_total", {"fault_domain"}},
    {"fabric_node_down_detections_total", {"fault_domain"}},
    {"fabric_node_down_detection_seconds_count", {"fault_domain"}},
    {"fabric_instance_replacements_total", {"fault_domain"}},
    // wire
    {"fabric_wire_messages_total", {"direction", "type"}},
    {"fabric_wire_frames_dropped_total", {"reason"}},
    // disks and journal
    {"fabric_node_os_layer_bytes", {"node", "fault_domain"}},
    {"fabric_node_local_storage_used_bytes", {"node", "fault_domain"}},
    {"fabric_node_local_storage_quota_bytes", {"node", "fault_domain"}},
    {"fabric_journal_writes_total", {"result"}},
    {"fabric_journal_write_duration_seconds_count", {}},
    {"fabric_build_info", {"component", "version"}},
  };
  char from[32], to[32];
  std::snprintf(from, sizeof from, "%.3f", t0);
  std::snprintf(to, sizeof to, "%.3f", t1);
  for (auto& [family, labels] : issue_families) {
    auto series = prom_post("/api/v1/series", {{"match[]", family}, {"start", from}, {"end", to}});
    ASSERT_EQ(series.value("status", ""), "success") << family;
    auto list = series["data"];
    EXPECT_FALSE(list.empty()) << "never scraped: " << family;
    for (auto& one : list)
      for (auto& label : labels)
        EXPECT_TRUE(one.contains(label)) << family << " without " << label << ": " << one.dump();
  }
  // And every family of the catalogue but the opt-in per-instance one.
  std::set<std::string> listed;
  for (auto& [family, labels] : issue_families)
    listed.insert(std::regex_replace(family, std::regex("_count$"), ""));
  for (const auto& m : monitoring::catalogue) {
    if (std::string{m.name} != monitoring::names::role_instance_state) {
      EXPECT_TRUE(listed.count(m.name)) << m.name << " is not in the issue's list above";
    }
  }

  // promtool check metrics on the live output after the scenario (every
  // model, upgrade and event family populated).
  std::vector<std::pair<std::string, int>> live{{"coordinator", coordinator_metrics}};
  for (auto& [name, port] : node_metrics)
    if (name != "n2")
      live.push_back({name, port});
  for (auto& [name, port] : live) {
    auto text = testing::http_get("127.0.0.1", port, "/metrics");
    ASSERT_TRUE(text) << name;
    auto file = dir + "/" + name + "-after.prom";
    std::ofstream(file) << *text;
    std::string lint;
    EXPECT_EQ(shell(promtool_bin + " check metrics < " + file, &lint), 0) << name << ":\n" << lint;
  }
}

} // namespace
} // namespace fabric
