#include "coordinator/metrics_bridge.hpp"

#include <algorithm>
#include <cctype>

#include <caf/all.hpp>

#include "coordinator/controller_actor.hpp"
#include "coordinator/journal/journal.hpp"

namespace fabric::coordinator {

namespace {

double seconds_of(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

} // namespace

// -- model_exporter ------------------------------------------------------------

model_exporter::model_exporter(monitoring::coordinator_metrics& metrics,
                               monitoring::per_instance_metrics* per_instance)
  : metrics_(metrics), per_instance_(per_instance) {}

void model_exporter::rebuild(const controller& c) {
  auto old = std::move(cache_);
  cache_.clear();
  std::unordered_map<std::string_view, const cached*> old_by_name;
  for (auto& e : old)
    old_by_name.emplace(e->d.name, e.get());
  for (auto& [name, svc] : c.model().services)
    for (auto s : {model::slot::production, model::slot::staging}) {
      auto& d = svc.in(s);
      if (!d)
        continue;
      auto e = std::make_unique<cached>();
      e->service = name;
      e->d = *d;
      e->versions.reserve(e->d.instances.size());
      e->index.reserve(e->d.instances.size());
      for (std::size_t k = 0; k < e->d.instances.size(); ++k) {
        e->versions.push_back(e->d.instances[k].version);
        e->index.emplace(e->d.instances[k].name, k);
      }
      // Re-placements: an instance that left a node that is down, counted
      // under the fault domain it left.
      if (auto prev = old_by_name.find(e->d.name); prev != old_by_name.end() && revision_ >= 0)
        for (auto& i : e->d.instances) {
          auto at = prev->second->index.find(i.name);
          if (at == prev->second->index.end())
            continue;
          auto& before = prev->second->d.instances[at->second];
          if (before.node.empty() || before.node == i.node)
            continue;
          auto n = c.nodes().find(before.node);
          if (n != c.nodes().end() && !n->second.up)
            metrics_.instance_replaced(before.fault_domain);
        }
      cache_.push_back(std::move(e));
    }
  revision_ = c.model().revision;
}

void model_exporter::overlay(const controller& c) {
  const auto& observed = c.observed_states();
  for (auto& e : cache_) {
    auto& instances = e->d.instances;
    for (std::size_t k = 0; k < instances.size(); ++k) {
      instances[k].state = model::instance_state::role_state_unknown;
      if (instances[k].version != e->versions[k])
        instances[k].version = e->versions[k];
    }
    const std::string prefix = e->d.name + ".";
    for (auto it = observed.lower_bound(prefix);
         it != observed.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      std::string_view rest{it->first};
      rest.remove_prefix(prefix.size());
      auto at = e->index.find(rest);
      if (at == e->index.end())
        continue;
      auto& i = instances[at->second];
      i.state = it->second.state;
      if (!it->second.version.empty() && i.version != it->second.version)
        i.version = it->second.version;
    }
  }
}

monitoring::model_gauges model_exporter::gauges(const controller& c) {
  if (c.model().revision != revision_)
    rebuild(c);
  overlay(c);
  monitoring::model_gauges out;
  for (auto& e : cache_)
    out.append(monitoring::aggregate(e->service, e->d));
  return out;
}

void model_exporter::count_operations(const controller& c, time_point now) {
  for (auto& [id, op] : c.operations()) {
    if (op.status == op_status::in_progress || reported_ops_.count(id))
      continue;
    reported_ops_.insert(id);
    auto end = op.finished_at == time_point{} ? now : op.finished_at;
    double secs = op.started_at == time_point{} ? 0.0 : seconds_of(end - op.started_at);
    metrics_.operation_finished(op.kind, lower(to_string(op.status)), std::max(0.0, secs));
  }
}

void model_exporter::count_walks(const monitoring::model_gauges& g, time_point now) {
  std::set<std::pair<std::string, std::string>> current;
  for (auto& u : g.upgrades) {
    std::pair<std::string, std::string> key{u.service, u.slot};
    current.insert(key);
    walks_.emplace(key, std::make_pair(u.mode, now));
  }
  for (auto it = walks_.begin(); it != walks_.end();) {
    if (current.count(it->first)) {
      ++it;
      continue;
    }
    metrics_.walk_finished(it->second.first, seconds_of(now - it->second.second));
    it = walks_.erase(it);
  }
}

void model_exporter::refresh(const controller& c, time_point now) {
  // The operation series exist at 0 before the first operation finishes
  // (the table is filled at start-up; re-read if it grew).
  auto kinds = c.operation_kinds();
  if (kinds.size() != declared_kinds_) {
    metrics_.declare_operation_kinds(kinds);
    declared_kinds_ = kinds.size();
  }
  auto g = gauges(c);
  metrics_.set_gauges(g);
  if (per_instance_) {
    std::vector<monitoring::instance_state_row> rows;
    for (auto& e : cache_) {
      std::string slot = model::to_string(e->d.in_slot);
      for (auto& i : e->d.instances)
        rows.push_back({e->service, slot, i.role, i.name, i.upgrade_domain, i.fault_domain, i.node,
                        model::to_string(i.state)});
    }
    per_instance_->set_instances(rows);
  }
  count_operations(c, now);
  count_walks(g, now);
}

// -- membership_metrics ----------------------------------------------------------

void membership_metrics::checked(const membership& table,
                                 const std::vector<std::string>& declared_down, steady_time now) {
  auto interval = table.detector().heartbeat_interval;
  std::set<std::string> just_down(declared_down.begin(), declared_down.end());
  std::map<std::pair<int, std::string>, int> counts;
  std::set<int> fds;
  for (auto& [name, m] : table.members()) {
    int fd = static_cast<int>(m.fault_domain);
    fds.insert(fd);
    if (declared_fds_.insert(fd).second)
      metrics_.declare_fault_domain(fd);  // its event series at 0 before the first event
    auto& s = missed_[name];
    if (s.last_heard != m.last_heard) {
      s.last_heard = m.last_heard;
      s.counted = 0;
    }
    int64_t overdue = 0;
    bool watching = m.state == node_state::up || just_down.count(name);
    if (watching && interval.count() > 0)
      overdue = std::max<int64_t>(0, static_cast<int64_t>((now - m.last_heard) / interval) - 1);
    for (; s.counted < overdue; ++s.counted)
      metrics_.heartbeat_missed(fd);
    const char* state = m.state == node_state::down ? "down" : overdue >= 1 ? "suspect" : "up";
    ++counts[{fd, state}];
  }
  for (auto& name : declared_down) {
    auto& m = table.members().at(name);
    metrics_.node_down_detected(static_cast<int>(m.fault_domain), seconds_of(now - m.last_heard));
  }
  std::vector<monitoring::node_count_row> rows;
  for (int fd : fds)
    for (const char* state : {"up", "suspect", "down"}) {
      auto it = counts.find({fd, state});
      rows.push_back({fd, state, it == counts.end() ? 0 : it->second});
    }
  metrics_.set_node_counts(rows);
}

// -- journal -------------------------------------------------------------------------

void observe_journal(journal::journal& j, monitoring::coordinator_metrics& metrics) {
  auto failed = std::make_shared<uint64_t>(j.stats().failed_writes);
  journal::journal* jp = &j;
  j.set_latency_observer([&metrics, jp, failed](std::string_view op,
                                                std::chrono::nanoseconds took) {
    if (op != "append" && op != "snapshot")
      return;
    auto now_failed = jp->stats().failed_writes;
    bool ok = now_failed == *failed;
    *failed = now_failed;
    metrics.journal_write(ok, std::chrono::duration<double>(took).count());
  });
}

// -- refresher -------------------------------------------------------------------------

namespace {
struct refresh_tick {};
} // namespace

} // namespace fabric::coordinator

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::refresh_tick)

namespace fabric::coordinator {

caf::behavior metrics_refresher(caf::event_based_actor* self, caf::actor controller_actor,
                                std::shared_ptr<model_exporter> exporter,
                                std::function<void()> on_tick, std::chrono::milliseconds every) {
  auto busy = std::make_shared<bool>(false);
  self->send(self, refresh_tick{});
  return {
    [=](refresh_tick) {
      if (!*busy) {
        *busy = true;
        api_call call{[exporter](controller& c) {
          exporter->refresh(c, std::chrono::steady_clock::now());
          return api_result{};
        }};
        self->request(controller_actor, every * 20, std::move(call))
          .then([busy](const api_result&) { *busy = false; },
                [busy](const caf::error&) { *busy = false; });
      }
      if (on_tick)
        on_tick();
      self->delayed_send(self, every, refresh_tick{});
    },
  };
}

} // namespace fabric::coordinator
