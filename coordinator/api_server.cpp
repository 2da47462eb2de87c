#include "coordinator/api_server.hpp"

#include <optional>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace fabric::coordinator {

namespace {

std::optional<membership_snapshot> ask_snapshot(caf::actor_system& sys, const caf::actor& who) {
  std::optional<membership_snapshot> out;
  caf::scoped_actor self{sys};
  self->request(who, std::chrono::seconds(2), fabric::snapshot_atom_v)
    .receive([&](membership_snapshot& snap) { out = std::move(snap); },
             [&](caf::error&) {});
  return out;
}

void send_json(httplib::Response& res, const nlohmann::json& body) {
  res.set_content(body.dump(2) + "\n", "application/json");
}

} // namespace

nlohmann::json nodes_json(const membership_snapshot& snap) {
  auto nodes = nlohmann::json::array();
  for (auto& m : snap.members) {
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(snap.taken_at - m.last_heard);
    auto names = nlohmann::json::array();
    for (auto& i : m.instances)
      names.push_back(i.instance_name);
    if (m.instances.empty())
      for (auto& h : m.held)
        names.push_back(h.instance_name);
    nodes.push_back({{"name", m.name},
                     {"fault_domain", m.fault_domain},
                     {"state", to_string(m.state)},
                     {"epoch", m.epoch},
                     {"last_heartbeat_age_ms", age.count()},
                     {"address", m.advertise_host},
                     {"capacity", m.capacity},
                     {"protocol_version", m.version.to_string()},
                     {"agent_version", m.agent_version},
                     {"instance_count", names.size()},
                     {"instances", names}});
  }
  return {{"nodes", nodes}};
}

nlohmann::json membership_stats_json(const membership_snapshot& snap) {
  auto& c = snap.counters;
  return {{"registrations", c.registrations},
          {"registrations_refused", c.registrations_refused},
          {"heartbeats_accepted", c.heartbeats_accepted},
          {"heartbeats_unknown_node", c.heartbeats_unknown_node},
          {"heartbeats_stale_epoch", c.heartbeats_stale_epoch},
          {"heartbeats_while_down", c.heartbeats_while_down},
          {"nodes_declared_down", c.nodes_declared_down},
          {"unhandled_messages", snap.unhandled_messages},
          {"heartbeat_interval_ms", snap.detector.heartbeat_interval.count()},
          {"missed_heartbeats", snap.detector.missed_heartbeats}};
}

nlohmann::json bridge_stats_json(const actors::bridge_counters& c) {
  return {{"received", c.frames_in},
          {"forwarded", c.forwarded},
          {"malformed", c.malformed},
          {"oversized", c.oversized},
          {"unknown_type", c.unknown_type},
          {"unsupported_version", c.unsupported_version},
          {"unrouted", c.unrouted}};
}

api_server::api_server(caf::actor_system& sys, caf::actor membership,
                       std::function<nlohmann::json()> frame_stats)
  : sys_(sys), membership_(std::move(membership)), frame_stats_(std::move(frame_stats)) {
  server_.Get("/fabric/v1/nodes", [this](const httplib::Request&, httplib::Response& res) {
    auto snap = ask_snapshot(sys_, membership_);
    if (!snap) {
      res.status = 503;
      send_json(res, {{"error", "membership actor did not answer"}});
      return;
    }
    send_json(res, nodes_json(*snap));
  });
  server_.Get("/fabric/v1/stats", [this](const httplib::Request&, httplib::Response& res) {
    auto snap = ask_snapshot(sys_, membership_);
    nlohmann::json body = frame_stats_ ? frame_stats_() : nlohmann::json::object();
    if (snap)
      body["membership"] = membership_stats_json(*snap);
    send_json(res, body);
  });
}

api_server::~api_server() { stop(); }

bool api_server::start(const std::string& host, int port) {
  if (!server_.bind_to_port(host.c_str(), port)) {
    spdlog::error("cannot listen on {}:{} for the API", host, port);
    return false;
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return true;
}

void api_server::stop() {
  server_.stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace fabric::coordinator
