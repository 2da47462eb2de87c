#include "monitoring/metrics.hpp"

#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "monitoring/metric_names.hpp"

namespace fabric::monitoring {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

namespace {

const char* help_of(const char* name) {
  for (const auto& m : catalogue)
    if (std::strcmp(m.name, name) == 0)
      return m.help;
  throw std::logic_error(std::string{"metric not in the catalogue: "} + name);
}

Family<Gauge>& gauge_family(prometheus::Registry& r, const char* name) {
  return prometheus::BuildGauge().Name(name).Help(help_of(name)).Register(r);
}

Family<Counter>& counter_family(prometheus::Registry& r, const char* name) {
  return prometheus::BuildCounter().Name(name).Help(help_of(name)).Register(r);
}

Family<Histogram>& histogram_family(prometheus::Registry& r, const char* name) {
  return prometheus::BuildHistogram().Name(name).Help(help_of(name)).Register(r);
}

// A gauge family whose set of label combinations is replaced as a whole.
// Not thread-safe by itself: the owner serialises calls.
class gauge_set {
public:
  explicit gauge_set(Family<Gauge>& family) : family_(family) {}

  void replace(const std::vector<std::pair<Labels, double>>& rows) {
    std::map<Labels, Gauge*> next;
    for (const auto& [labels, value] : rows) {
      auto& g = family_.Add(labels);
      g.Set(value);
      next[labels] = &g;
    }
    for (const auto& [labels, g] : live_)
      if (next.count(labels) == 0)
        family_.Remove(g);
    live_ = std::move(next);
  }

private:
  Family<Gauge>& family_;
  std::map<Labels, Gauge*> live_;
};

using rows_t = std::vector<std::pair<Labels, double>>;

void set_build_info(prometheus::Registry& r, const char* component, const std::string& version) {
  gauge_family(r, names::build_info)
    .Add({{labels::component, component}, {labels::version, version}})
    .Set(1);
}

} // namespace

// -- metrics_sink ------------------------------------------------------------

struct metrics_sink::impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer; // after the registry: destroyed first
  std::optional<int> port;
  mutable std::mutex mutex;
};

metrics_sink::metrics_sink() : impl_(std::make_unique<impl>()) {}

metrics_sink::~metrics_sink() = default;

prometheus::Registry& metrics_sink::registry() {
  return *impl_->registry;
}

result<int> metrics_sink::serve(const std::string& bind_address) {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  if (impl_->exposer)
    return error{"metrics are already served on port " + std::to_string(*impl_->port)
                 + "; cannot serve them on " + bind_address + " too"};
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(bind_address, 1);
  } catch (const std::runtime_error& e) {
    return error{"cannot serve metrics on " + bind_address
                 + " (port in use or address not bindable): " + e.what()};
  }
  auto ports = exposer->GetListeningPorts();
  if (ports.empty())
    return error{"cannot serve metrics on " + bind_address + ": the server reports no port"};
  exposer->RegisterCollectable(impl_->registry);
  impl_->exposer = std::move(exposer);
  impl_->port = ports.front();
  return ports.front();
}

std::optional<int> metrics_sink::port() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->port;
}

std::string metrics_sink::text() const {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, impl_->registry->Collect());
  return out.str();
}

// -- wire_metrics --------------------------------------------------------------

const char* to_string(wire_direction d) {
  return d == wire_direction::in ? "in" : "out";
}

struct wire_metrics::impl {
  Family<Counter>& messages;
  Family<Counter>& dropped;
  // Counted on every frame: the counter of each (direction, type) is looked
  // up in a short list (a handful of message types) instead of building a
  // label map and hashing it in Family::Add each time.
  std::mutex mutex;
  std::vector<std::pair<std::string, Counter*>> by_type[2]; ///< [in, out]
};

wire_metrics::wire_metrics(metrics_sink& sink)
  : impl_(new impl{counter_family(sink.registry(), names::wire_messages_total),
                   counter_family(sink.registry(), names::wire_frames_dropped_total),
                   {},
                   {}}) {}

wire_metrics::~wire_metrics() = default;

void wire_metrics::message(wire_direction d, const std::string& type) {
  Counter* counter = nullptr;
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    auto& list = impl_->by_type[d == wire_direction::in ? 0 : 1];
    for (auto& [name, c] : list)
      if (name == type) {
        counter = c;
        break;
      }
    if (!counter) {
      counter = &impl_->messages.Add({{labels::direction, to_string(d)}, {labels::type, type}});
      list.emplace_back(type, counter);
    }
  }
  counter->Increment();
}

void wire_metrics::frame_dropped(const std::string& reason) {
  impl_->dropped.Add({{labels::reason, reason}}).Increment();
}

void wire_metrics::frames_dropped(const std::string& reason, std::uint64_t count) {
  impl_->dropped.Add({{labels::reason, reason}}).Increment(static_cast<double>(count));
}

// -- coordinator_metrics -------------------------------------------------------

struct coordinator_metrics::impl {
  explicit impl(metrics_sink& sink)
    : wire(sink),
      instances(gauge_family(sink.registry(), names::instances)),
      desired(gauge_family(sink.registry(), names::role_instances_desired)),
      ready(gauge_family(sink.registry(), names::role_instances_ready)),
      role_ratio(gauge_family(sink.registry(), names::role_capacity_ratio)),
      ud_ratio(gauge_family(sink.registry(), names::upgrade_domain_capacity_ratio)),
      fd_ratio(gauge_family(sink.registry(), names::fault_domain_capacity_ratio)),
      walk_min(gauge_family(sink.registry(), names::walk_min_capacity_ratio)),
      versions_serving(gauge_family(sink.registry(), names::role_versions_serving)),
      version_instances(gauge_family(sink.registry(), names::role_version_instances)),
      in_progress(gauge_family(sink.registry(), names::upgrade_in_progress)),
      current_domain(gauge_family(sink.registry(), names::upgrade_current_domain)),
      during(gauge_family(sink.registry(), names::upgrade_domain_during)),
      walked(gauge_family(sink.registry(), names::upgrade_domains_walked)),
      walk_total(gauge_family(sink.registry(), names::upgrade_walk_domains)),
      ud_walked(gauge_family(sink.registry(), names::upgrade_domain_walked)),
      ud_updated(gauge_family(sink.registry(), names::upgrade_domain_updated_ratio)),
      nodes(gauge_family(sink.registry(), names::nodes)),
      walk_duration(histogram_family(sink.registry(), names::upgrade_walk_duration_seconds)),
      operations(counter_family(sink.registry(), names::operations_total)),
      operation_duration(histogram_family(sink.registry(), names::operation_duration_seconds)),
      rtt(histogram_family(sink.registry(), names::heartbeat_rtt_seconds)),
      missed(counter_family(sink.registry(), names::heartbeats_missed_total)),
      detections(counter_family(sink.registry(), names::node_down_detections_total)),
      detection_latency(histogram_family(sink.registry(), names::node_down_detection_seconds)),
      replacements(counter_family(sink.registry(), names::instance_replacements_total)),
      journal_writes(counter_family(sink.registry(), names::journal_writes_total)),
      journal_latency(histogram_family(sink.registry(), names::journal_write_duration_seconds)) {}

  wire_metrics wire;
  std::mutex mutex; // guards the gauge sets and walk_minimum
  gauge_set instances, desired, ready, role_ratio, ud_ratio, fd_ratio, walk_min, versions_serving,
    version_instances, in_progress, current_domain, during, walked, walk_total, ud_walked,
    ud_updated, nodes;
  std::vector<walk_min_row> walk_minimum;
  Family<Histogram>& walk_duration;
  Family<Counter>& operations;
  Family<Histogram>& operation_duration;
  Family<Histogram>& rtt;
  Family<Counter>& missed;
  Family<Counter>& detections;
  Family<Histogram>& detection_latency;
  Family<Counter>& replacements;
  Family<Counter>& journal_writes;
  Family<Histogram>& journal_latency;
};

namespace {

Labels deployment_labels(const std::string& service, const std::string& slot) {
  return {{labels::service, service}, {labels::slot, slot}};
}

Labels role_labels(const std::string& service, const std::string& slot, const std::string& role) {
  return {{labels::service, service}, {labels::slot, slot}, {labels::role, role}};
}

Labels with(Labels l, const char* name, std::string value) {
  l.emplace(name, std::move(value));
  return l;
}

rows_t instance_rows(const std::vector<instance_count_row>& rows) {
  rows_t out;
  for (const auto& r : rows)
    out.push_back({{{labels::service, r.service},
                    {labels::slot, r.slot},
                    {labels::role, r.role},
                    {labels::upgrade_domain, std::to_string(r.upgrade_domain)},
                    {labels::fault_domain, std::to_string(r.fault_domain)},
                    {labels::state, r.state}},
                   static_cast<double>(r.count)});
  return out;
}

rows_t domain_rows(const std::vector<domain_capacity_row>& rows, const char* domain_label) {
  rows_t out;
  for (const auto& r : rows)
    out.push_back({with(role_labels(r.service, r.slot, r.role), domain_label,
                        std::to_string(r.domain)),
                   r.ratio});
  return out;
}

} // namespace

coordinator_metrics::coordinator_metrics(metrics_sink& sink, const std::string& version)
  : impl_(std::make_unique<impl>(sink)) {
  set_build_info(sink.registry(), "coordinator", version);
  // Event series at 0 before their first event (see declare_operation_kinds).
  for (auto mode : {model::upgrade_mode::automatic, model::upgrade_mode::manual,
                    model::upgrade_mode::simultaneous})
    impl_->walk_duration.Add({{labels::mode, model::to_string(mode)}}, buckets::walk);
  for (const char* result : {"ok", "error"})
    impl_->journal_writes.Add({{labels::result, result}});
  impl_->journal_latency.Add({}, buckets::journal);
}

void coordinator_metrics::declare_operation_kinds(const std::vector<std::string>& kinds) {
  for (const auto& kind : kinds) {
    for (const char* result : {"succeeded", "failed"})
      impl_->operations.Add({{labels::kind, kind}, {labels::result, result}});
    impl_->operation_duration.Add({{labels::kind, kind}}, buckets::operation);
  }
}

void coordinator_metrics::declare_fault_domain(int fault_domain) {
  Labels l{{labels::fault_domain, std::to_string(fault_domain)}};
  impl_->missed.Add(l);
  impl_->detections.Add(l);
  impl_->detection_latency.Add(l, buckets::detection);
  impl_->replacements.Add(l);
}

coordinator_metrics::~coordinator_metrics() = default;

void coordinator_metrics::export_model(const model::fabric_model& m) {
  set_gauges(aggregate(m));
}

void coordinator_metrics::set_gauges(const model_gauges& g) {
  rows_t desired, ready, ratio, serving, versions, in_progress, current, during, walked, total,
    ud_walked, ud_updated, walk_min;
  for (const auto& r : g.roles) {
    auto l = role_labels(r.service, r.slot, r.role);
    desired.push_back({l, static_cast<double>(r.desired)});
    ready.push_back({l, static_cast<double>(r.ready)});
    ratio.push_back({l, r.ratio});
    serving.push_back({l, static_cast<double>(r.versions_serving)});
  }
  for (const auto& r : g.versions)
    versions.push_back({with(role_labels(r.service, r.slot, r.role), labels::version, r.version),
                        static_cast<double>(r.instances)});
  for (const auto& u : g.upgrades) {
    auto l = deployment_labels(u.service, u.slot);
    for (auto mode : {model::upgrade_mode::automatic, model::upgrade_mode::manual,
                      model::upgrade_mode::simultaneous}) {
      std::string name = model::to_string(mode);
      in_progress.push_back({with(l, labels::mode, name), name == u.mode ? 1.0 : 0.0});
    }
    current.push_back({l, static_cast<double>(u.current_upgrade_domain)});
    during.push_back({l, u.during ? 1.0 : 0.0});
    walked.push_back({l, static_cast<double>(u.walked)});
    total.push_back({l, static_cast<double>(u.total)});
  }
  for (const auto& w : g.upgrade_domain_walks)
    ud_walked.push_back({with(deployment_labels(w.service, w.slot), labels::upgrade_domain,
                              std::to_string(w.upgrade_domain)),
                         w.walked ? 1.0 : 0.0});
  for (const auto& u : g.upgrade_domain_updates)
    ud_updated.push_back({with(role_labels(u.service, u.slot, u.role), labels::upgrade_domain,
                               std::to_string(u.upgrade_domain)),
                          u.ratio});
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->walk_minimum = update_walk_minimum(impl_->walk_minimum, g);
  for (const auto& w : impl_->walk_minimum)
    walk_min.push_back({role_labels(w.service, w.slot, w.role), w.min_ratio});
  impl_->instances.replace(instance_rows(g.instances));
  impl_->desired.replace(desired);
  impl_->ready.replace(ready);
  impl_->role_ratio.replace(ratio);
  impl_->ud_ratio.replace(domain_rows(g.upgrade_domains, labels::upgrade_domain));
  impl_->fd_ratio.replace(domain_rows(g.fault_domains, labels::fault_domain));
  impl_->walk_min.replace(walk_min);
  impl_->versions_serving.replace(serving);
  impl_->version_instances.replace(versions);
  impl_->in_progress.replace(in_progress);
  impl_->current_domain.replace(current);
  impl_->during.replace(during);
  impl_->walked.replace(walked);
  impl_->walk_total.replace(total);
  impl_->ud_walked.replace(ud_walked);
  impl_->ud_updated.replace(ud_updated);
}

void coordinator_metrics::set_instance_counts(const std::vector<instance_count_row>& rows) {
  auto r = instance_rows(rows);
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->instances.replace(r);
}

void coordinator_metrics::set_node_counts(const std::vector<node_count_row>& rows) {
  rows_t r;
  for (const auto& n : rows)
    r.push_back({{{labels::fault_domain, std::to_string(n.fault_domain)}, {labels::state, n.state}},
                 static_cast<double>(n.count)});
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->nodes.replace(r);
}

void coordinator_metrics::record_heartbeat_rtt(int fault_domain, double seconds) {
  impl_->rtt.Add({{labels::fault_domain, std::to_string(fault_domain)}}, buckets::heartbeat_rtt)
    .Observe(seconds);
}

void coordinator_metrics::heartbeat_missed(int fault_domain) {
  impl_->missed.Add({{labels::fault_domain, std::to_string(fault_domain)}}).Increment();
}

void coordinator_metrics::node_down_detected(int fault_domain, double latency_seconds) {
  Labels l{{labels::fault_domain, std::to_string(fault_domain)}};
  impl_->detections.Add(l).Increment();
  impl_->detection_latency.Add(l, buckets::detection).Observe(latency_seconds);
}

void coordinator_metrics::instance_replaced(int fault_domain) {
  impl_->replacements.Add({{labels::fault_domain, std::to_string(fault_domain)}}).Increment();
}

void coordinator_metrics::operation_finished(const std::string& kind, const std::string& result,
                                             double seconds) {
  impl_->operations.Add({{labels::kind, kind}, {labels::result, result}}).Increment();
  impl_->operation_duration.Add({{labels::kind, kind}}, buckets::operation).Observe(seconds);
}

void coordinator_metrics::walk_finished(const std::string& mode, double seconds) {
  impl_->walk_duration.Add({{labels::mode, mode}}, buckets::walk).Observe(seconds);
}

void coordinator_metrics::journal_write(bool ok, double seconds) {
  impl_->journal_writes.Add({{labels::result, ok ? "ok" : "error"}}).Increment();
  impl_->journal_latency.Add({}, buckets::journal).Observe(seconds);
}

void coordinator_metrics::wire_message(wire_direction d, const std::string& type) {
  impl_->wire.message(d, type);
}

void coordinator_metrics::frame_dropped(const std::string& reason) {
  impl_->wire.frame_dropped(reason);
}

void coordinator_metrics::frames_dropped(const std::string& reason, std::uint64_t count) {
  impl_->wire.frames_dropped(reason, count);
}

// -- per_instance_metrics ------------------------------------------------------

struct per_instance_metrics::impl {
  std::mutex mutex;
  gauge_set states;
};

per_instance_metrics::per_instance_metrics(metrics_sink& sink)
  : impl_(new impl{{}, gauge_set{gauge_family(sink.registry(), names::role_instance_state)}}) {}

per_instance_metrics::~per_instance_metrics() = default;

void per_instance_metrics::set_instances(const std::vector<instance_state_row>& rows) {
  rows_t r;
  r.reserve(rows.size());
  for (const auto& i : rows)
    r.push_back({{{labels::service, i.service},
                  {labels::slot, i.slot},
                  {labels::role, i.role},
                  {labels::role_instance, i.instance},
                  {labels::upgrade_domain, std::to_string(i.upgrade_domain)},
                  {labels::fault_domain, std::to_string(i.fault_domain)},
                  {labels::node, i.node},
                  {labels::state, i.state}},
                 1.0});
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->states.replace(r);
}

// -- node_metrics --------------------------------------------------------------

struct node_metrics::impl {
  wire_metrics wire;
  Histogram& rtt;
  Gauge& os_layer;
  Gauge& local_used;
  Gauge& local_quota;
};

node_metrics::node_metrics(metrics_sink& sink, const std::string& node, int fault_domain,
                           const std::string& version) {
  auto& r = sink.registry();
  std::string fd = std::to_string(fault_domain);
  Labels l{{labels::node, node}, {labels::fault_domain, fd}};
  impl_.reset(new impl{
    wire_metrics{sink},
    histogram_family(r, names::heartbeat_rtt_seconds)
      .Add({{labels::fault_domain, fd}}, buckets::heartbeat_rtt),
    gauge_family(r, names::node_os_layer_bytes).Add(l),
    gauge_family(r, names::node_local_storage_used_bytes).Add(l),
    gauge_family(r, names::node_local_storage_quota_bytes).Add(l),
  });
  set_build_info(r, "node", version);
}

node_metrics::~node_metrics() = default;

void node_metrics::record_heartbeat_rtt(double seconds) {
  impl_->rtt.Observe(seconds);
}

void node_metrics::set_disk_usage(std::int64_t os_layer_bytes,
                                  std::int64_t local_storage_used_bytes,
                                  std::int64_t local_storage_quota_bytes) {
  impl_->os_layer.Set(static_cast<double>(os_layer_bytes));
  impl_->local_used.Set(static_cast<double>(local_storage_used_bytes));
  impl_->local_quota.Set(static_cast<double>(local_storage_quota_bytes));
}

void node_metrics::wire_message(wire_direction d, const std::string& type) {
  impl_->wire.message(d, type);
}

void node_metrics::frame_dropped(const std::string& reason) {
  impl_->wire.frame_dropped(reason);
}

void node_metrics::frames_dropped(const std::string& reason, std::uint64_t count) {
  impl_->wire.frames_dropped(reason, count);
}

} // namespace fabric::monitoring
