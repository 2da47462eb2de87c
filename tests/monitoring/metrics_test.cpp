// The prometheus-cpp sink: replacing gauge sets, counters, the catalogue,
// the cardinality bound and the /metrics endpoint.

#include "monitoring/metrics.hpp"

#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <prometheus/registry.h>

#include "monitoring/metric_names.hpp"
#include "tests/monitoring/sample_model.hpp"

using namespace fabric;
using namespace fabric::monitoring;

namespace {

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Sample lines (one per series and, for histograms, per bucket/sum/count).
int series_count(const std::string& text) {
  std::istringstream in{text};
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#')
      ++n;
  return n;
}

// The series export_model adds to a fresh coordinator_metrics (which already
// holds build info and the event series created at 0: walk durations, journal).
int series_of_model(int per_role) {
  metrics_sink fresh_sink;
  coordinator_metrics fresh{fresh_sink, "0.1.0"};
  int before = series_count(fresh_sink.text());
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  m.export_model(test::sample_model(per_role));
  return series_count(sink.text()) - before;
}

} // namespace

TEST(metrics, instance_counts_replace_the_previous_set) {
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  m.set_instance_counts({{"shop", "production", "web", 0, 0, "ReadyRole", 3},
                         {"shop", "production", "web", 1, 1, "StartingRole", 1}});
  auto before = sink.text();
  EXPECT_TRUE(contains(before, R"(state="StartingRole",upgrade_domain="1"} 1)")) << before;
  m.set_instance_counts({{"shop", "production", "web", 0, 0, "ReadyRole", 4}});
  auto after = sink.text();
  EXPECT_FALSE(contains(after, "StartingRole")) << after;
  EXPECT_TRUE(contains(after, "fabric_instances{fault_domain=\"0\",role=\"web\",service=\"shop\","
                              "slot=\"production\",state=\"ReadyRole\",upgrade_domain=\"0\"} 4"))
    << after;
}

TEST(metrics, export_model_removes_series_of_a_finished_upgrade) {
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  auto model = test::sample_model(10);
  m.export_model(model);
  auto during = sink.text();
  EXPECT_TRUE(contains(during, R"(fabric_upgrade_in_progress{mode="Auto",service="shop",slot="production"} 1)"))
    << during;
  EXPECT_TRUE(contains(during, "fabric_walk_min_capacity_ratio{"));
  model.services["shop"].production->upgrade.reset();
  m.export_model(model);
  auto done = sink.text();
  EXPECT_FALSE(contains(done, "fabric_upgrade_in_progress{")) << done;
  EXPECT_FALSE(contains(done, "fabric_walk_min_capacity_ratio{")) << done;
  EXPECT_TRUE(contains(done, "fabric_role_capacity_ratio{")) << done;
}

TEST(metrics, walk_minimum_survives_recovery) {
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  model_gauges g;
  g.roles.push_back({"svc", "production", "web", 4, 2, 0.5, 1});
  g.upgrades.push_back({"svc", "production", "Manual", 1, true, 1, 2, "2.0"});
  m.set_gauges(g);
  g.roles[0].ratio = 1.0;
  m.set_gauges(g);
  auto text = sink.text();
  EXPECT_TRUE(contains(text, R"(fabric_walk_min_capacity_ratio{role="web",service="svc",slot="production"} 0.5)"))
    << text;
  EXPECT_TRUE(contains(text, R"(fabric_role_capacity_ratio{role="web",service="svc",slot="production"} 1)"))
    << text;
}

TEST(metrics, node_counts_replace_the_previous_set) {
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  m.set_node_counts({{0, "up", 2}, {1, "down", 1}});
  m.set_node_counts({{0, "up", 2}, {1, "up", 1}});
  auto text = sink.text();
  EXPECT_FALSE(contains(text, R"(state="down")")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_nodes{fault_domain="1",state="up"} 1)")) << text;
}

TEST(metrics, counters_and_histograms_accumulate) {
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  m.operation_finished("upgrade", "succeeded", 12.0);
  m.operation_finished("upgrade", "succeeded", 30.0);
  m.operation_finished("swap", "failed", 1.0);
  m.node_down_detected(2, 4.0);
  m.wire_message(wire_direction::in, "heartbeat");
  m.frame_dropped("truncated");
  auto text = sink.text();
  EXPECT_TRUE(contains(text, R"(fabric_operations_total{kind="upgrade",result="succeeded"} 2)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_operations_total{kind="swap",result="failed"} 1)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_operation_duration_seconds_count{kind="upgrade"} 2)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_operation_duration_seconds_sum{kind="upgrade"} 42)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_node_down_detections_total{fault_domain="2"} 1)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_node_down_detection_seconds_bucket{fault_domain="2",le="5"} 1)"))
    << text;
  EXPECT_TRUE(contains(text, R"(fabric_wire_messages_total{direction="in",type="heartbeat"} 1)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_wire_frames_dropped_total{reason="truncated"} 1)")) << text;
}

TEST(metrics, node_reports_its_disks_and_build) {
  metrics_sink sink;
  node_metrics m{sink, "rack-1", 1, "0.1.0"};
  m.set_disk_usage(1024, 2048, 4096);
  m.record_heartbeat_rtt(0.002);
  auto text = sink.text();
  EXPECT_TRUE(contains(text, R"(fabric_node_os_layer_bytes{fault_domain="1",node="rack-1"} 1024)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_node_local_storage_used_bytes{fault_domain="1",node="rack-1"} 2048)"))
    << text;
  EXPECT_TRUE(contains(text, R"(fabric_node_local_storage_quota_bytes{fault_domain="1",node="rack-1"} 4096)"))
    << text;
  EXPECT_TRUE(contains(text, R"(fabric_heartbeat_rtt_seconds_count{fault_domain="1"} 1)")) << text;
  EXPECT_TRUE(contains(text, R"(fabric_build_info{component="node",version="0.1.0"} 1)")) << text;
}

TEST(metrics, every_registered_family_is_in_the_catalogue_and_back) {
  metrics_sink sink;
  coordinator_metrics c{sink, "0.1.0"};
  node_metrics n{sink, "rack-0", 0, "0.1.0"};
  per_instance_metrics p{sink};
  test::fill_sample(c, n, p); // families without a series are not collected
  std::set<std::string> registered;
  for (const auto& f : sink.registry().Collect())
    registered.insert(f.name);
  std::set<std::string> listed;
  for (const auto& m : catalogue) {
    EXPECT_EQ(std::string{m.name}.rfind("fabric_", 0), 0u) << m.name;
    std::string name = m.name;
    bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    EXPECT_EQ(total, m.type == metric_type::counter) << name << ": _total is for counters only";
    listed.insert(m.name);
  }
  EXPECT_EQ(listed.size(), catalogue_size) << "a name is listed twice";
  EXPECT_EQ(registered, listed);
}

// Series are aggregated: for the shape of sample_model.hpp (1 deployment,
// R=2 roles, U=5 UDs, F=3 FDs, K=3 states, V=2 versions, an upgrade in
// flight) the general bound of aggregation.hpp for the model families is
//   R*U*F*K + 4R + R*U + R*F + R*V + 7 + U + R*U + R
//   = 90 + 8 + 10 + 6 + 4 + 7 + 5 + 10 + 2 = 142,
// and the exact count is 42 instance cells + 8 + 10 + 6 + 4 + 7 + 5 + 10 + 2 = 94.
// Neither depends on the instance count. (The whole coordinator's count,
// event families included: coordinator_series_test.cpp.)
TEST(metrics, series_count_is_bounded_by_shape_not_instances) {
  int thousand = series_of_model(500);   // 1,000 instances
  EXPECT_EQ(thousand, 94);
  EXPECT_LE(thousand, 142);
  int ten_thousand = series_of_model(5000); // 10,000 instances
  EXPECT_EQ(ten_thousand, thousand);
}

TEST(metrics, serves_metrics_on_a_free_port) {
  metrics_sink sink;
  coordinator_metrics m{sink, "0.1.0"};
  auto port = sink.serve("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.err().to_string();
  EXPECT_GT(*port, 0);
  EXPECT_EQ(sink.port().value_or(-1), *port);
  httplib::Client client{"127.0.0.1", *port};
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res) << "no answer from /metrics";
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(contains(res->body, R"(fabric_build_info{component="coordinator",version="0.1.0"} 1)"))
    << res->body;
}

TEST(metrics, port_in_use_is_a_clear_error) {
  metrics_sink first;
  auto port = first.serve("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.err().to_string();
  metrics_sink second;
  std::string address = "127.0.0.1:" + std::to_string(*port);
  auto again = second.serve(address);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(contains(again.err().message,
                       "cannot serve metrics on " + address + " (port in use or address not bindable)"))
    << again.err().message;
  EXPECT_FALSE(second.port().has_value());
}

TEST(metrics, serving_twice_is_an_error) {
  metrics_sink sink;
  auto port = sink.serve("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.err().to_string();
  auto again = sink.serve("127.0.0.1:0");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().message, "metrics are already served on port " + std::to_string(*port)
                                   + "; cannot serve them on 127.0.0.1:0 too");
}
