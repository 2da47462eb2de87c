// The HTTP API of one instance (serve_instance, declared in instance_actor.hpp).

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "node/instance_actor.hpp"

namespace fabric::node {

namespace {

using json = nlohmann::json;

http_response reply(int status, const json& body) {
  return {status, body.dump(), "application/json"};
}

http_response fail(int status, const std::string& message) {
  return reply(status, json{{"error", message}});
}

bool contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

/// A disk error as an HTTP status: quota 507, missing 404, anything else 400.
http_response disk_error(const error& e) {
  const auto& m = e.message;
  if (contains(m, "is full"))
    return fail(507, m);
  if (contains(m, "no such file or directory"))
    return fail(404, m);
  return fail(400, m);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

json listing(const std::vector<disk::file_info>& entries) {
  json out = json::array();
  for (const auto& e : entries)
    out.push_back({{"name", e.name}, {"kind", disk::to_string(e.kind)}, {"size", e.size}});
  return out;
}

/// GET / PUT / DELETE on one disk (os_disk or local_storage_store).
template <class Disk>
http_response disk_request(Disk& d, const http_request& req, const std::string& path) {
  if (req.method == "GET") {
    auto info = d.stat(path);
    if (!info)
      return disk_error(info.err());
    if (info->kind == disk::file_kind::directory) {
      auto entries = d.list(path);
      if (!entries)
        return disk_error(entries.err());
      return reply(200, json{{"path", path}, {"entries", listing(*entries)}});
    }
    auto data = d.read(path);
    if (!data)
      return disk_error(data.err());
    return {200, std::move(*data), "application/octet-stream"};
  }
  if (req.method == "PUT") {
    if (auto st = d.write(path, req.body); !st)
      return disk_error(st.err());
    return reply(200, json{{"written", path}, {"bytes", req.body.size()}});
  }
  if (req.method == "DELETE") {
    if (auto st = d.remove(path); !st)
      return disk_error(st.err());
    return reply(200, json{{"deleted", path}});
  }
  return fail(405, "method " + req.method + " is not allowed on a disk path (GET, PUT, DELETE)");
}

json role_environment(instance_shared& sh) {
  const auto& s = sh.spec;
  json settings = json::object();
  for (const auto& [k, v] : s.settings)
    settings[k] = v;
  json endpoints = json::array();
  for (const auto& e : s.endpoints)
    endpoints.push_back({{"name", e.name}, {"protocol", e.protocol}, {"port", e.port}});
  json locals = json::array();
  for (const auto& l : s.local_storage) {
    json r{{"name", l.name},
           {"size_mb", l.size_mb},
           {"quota_bytes", l.size_mb * 1024 * 1024},
           {"clean_on_role_recycle", l.clean_on_role_recycle}};
    if (sh.disks)
      if (auto store = sh.disks->local(l.name)) {
        r["path"] = (*store)->dir().string();
        if (auto used = (*store)->used_bytes())
          r["used_bytes"] = *used;
      }
    locals.push_back(std::move(r));
  }
  json out{{"instance_id", s.name},
           {"role", s.role},
           {"service", s.service},
           {"deployment", s.deployment},
           {"slot", s.slot},
           {"version", s.version},
           {"image_digest", s.image_digest},
           {"upgrade_domain", s.upgrade_domain},
           {"fault_domain", s.fault_domain},
           {"state", model::to_string(sh.state)},
           {"settings", settings},
           {"endpoints", endpoints},
           {"local_resources", locals}};
  if (sh.disks)
    out["os_disk"] = {{"base_digest", sh.disks->os().base_digest()},
                      {"layer", sh.disks->os().layer_dir().string()}};
  return out;
}

} // namespace

http_response serve_instance(instance_shared& sh, const http_request& req) {
  const auto& p = req.path;
  if (p == "/guest/restart" || p == "/guest/shutdown") {
    if (req.method != "POST")
      return fail(405, p + " takes POST");
    bool shutdown = p == "/guest/shutdown";
    caf::actor_addr target;
    {
      std::lock_guard<std::mutex> guard{sh.mtx};
      if (!sh.exists)
        return fail(409, "the instance is not on this node");
      auto t = model::transition(sh.state, shutdown ? model::lifecycle_event::guest_shutdown
                                                    : model::lifecycle_event::guest_restart);
      if (!t)
        return fail(409, t.err().message);
      target = sh.actor;
    }
    auto actor = caf::actor_cast<caf::actor>(target);
    if (!actor)
      return fail(409, "the instance is shutting down");
    caf::anon_send(actor, guest_op{shutdown});
    return reply(202, json{{"accepted", shutdown ? "guest_shutdown" : "guest_restart"}});
  }
  std::lock_guard<std::mutex> guard{sh.mtx};
  if (p == "/role-environment" || p == "/health") {
    if (req.method != "GET")
      return fail(405, p + " takes GET");
    if (p == "/health")
      return reply(sh.state == model::instance_state::ready_role ? 200 : 503,
                   json{{"instance_id", sh.spec.name}, {"state", model::to_string(sh.state)}});
    return reply(200, role_environment(sh));
  }
  if (starts_with(p, "/disk/")) {
    if (!sh.disks)
      return fail(503, "the instance has no disks on this node");
    if (starts_with(p, "/disk/os/") || p == "/disk/os")
      return disk_request(sh.disks->os(), req, p.size() > 9 ? p.substr(9) : std::string());
    if (starts_with(p, "/disk/local/")) {
      auto rest = p.substr(12);
      auto slash = rest.find('/');
      auto resource = rest.substr(0, slash);
      auto path = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
      auto store = sh.disks->local(resource);
      if (!store)
        return fail(404, store.err().message);
      return disk_request(**store, req, path);
    }
  }
  return fail(404, "no such route: " + req.method + " " + p
                     + " (try /role-environment, /health, /disk/os/<path>, "
                       "/disk/local/<resource>/<path>, /guest/restart, /guest/shutdown)");
}

} // namespace fabric::node
