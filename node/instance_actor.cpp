#include "node/instance_actor.hpp"

#include <fstream>
#include <sstream>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "node/node_actor.hpp"
#include "protocol/codec.hpp"

namespace fabric::node {

namespace fs = std::filesystem;
using model::instance_state;
using model::lifecycle_event;
using ms = std::chrono::milliseconds;

// -- pure helpers ------------------------------------------------------------

disk::disk_action to_disk_action(const model::disk_fate& fate, const std::string& rebase_digest,
                                 const std::vector<std::string>& present) {
  disk::disk_action a;
  if (fate.os_disk == model::os_disk_outcome::reset_to_base) {
    a.os = rebase_digest.empty() ? disk::os_action::reset : disk::os_action::rebase;
    a.rebase_digest = rebase_digest;
  }
  for (const auto& l : fate.local_storage) {
    if (std::find(present.begin(), present.end(), l.name) == present.end())
      continue;
    a.local.emplace_back(l.name, l.outcome == model::local_storage_outcome::wiped
                                   ? disk::local_action::wipe
                                   : disk::local_action::keep);
  }
  return a;
}

model::role_definition role_of(const protocol::instance_spec& spec) {
  model::role_definition r;
  r.name = spec.role;
  for (const auto& l : spec.local_storage)
    r.local_storage.push_back(
      {l.name, static_cast<std::int64_t>(l.size_mb), l.clean_on_role_recycle});
  return r;
}

ms phase_duration(const protocol::instance_spec& spec, const std::string& name, ms fallback) {
  auto i = spec.phase_durations_ms.find(name);
  return i == spec.phase_durations_ms.end() ? fallback : ms(i->second);
}

fs::path spec_file(const fs::path& data_dir, const std::string& name) {
  return data_dir / "specs" / (name + ".spec");
}

status save_spec(const fs::path& data_dir, const protocol::instance_spec& spec) {
  auto target = spec_file(data_dir, spec.name);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return error("cannot create " + target.parent_path().string() + ": " + ec.message());
  auto tmp = target;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << protocol::encode_payload(spec);
    if (!out)
      return error("cannot write " + tmp.string());
  }
  fs::rename(tmp, target, ec);
  if (ec)
    return error("cannot rename " + tmp.string() + ": " + ec.message());
  return ok_status();
}

std::optional<protocol::instance_spec> load_spec(const fs::path& data_dir,
                                                 const std::string& name) {
  std::ifstream in(spec_file(data_dir, name), std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  auto spec = protocol::decode_payload<protocol::instance_spec>(s.str());
  if (!spec)
    return std::nullopt;
  return *spec;
}

namespace {

disk::instance_disk_spec disk_spec_of(const protocol::instance_spec& spec) {
  disk::instance_disk_spec d;
  d.instance = spec.name;
  d.base_digest = spec.image_digest;
  for (const auto& l : spec.local_storage)
    d.resources.push_back({l.name, l.size_mb});
  d.os_quota_mb = spec.os_disk_mb;
  return d;
}

bool port_wanted(instance_state s) {
  return s == instance_state::starting_role || s == instance_state::ready_role
         || s == instance_state::busy_role;
}

bool has_disks_on_disk(const fs::path& data_dir, const std::string& name) {
  std::error_code ec;
  return fs::is_regular_file(data_dir / "instances" / name / "disks.meta", ec);
}

} // namespace

// -- the state's logic ---------------------------------------------------------

std::string instance_actor_state::endpoint() const {
  return port > 0 ? env->host + ":" + std::to_string(port) : std::string();
}

void instance_actor_state::report() {
  if (!env->report)
    return;
  protocol::instance_report r;
  r.instance_name = name;
  r.state = exists ? model::to_string(state) : "";
  r.version = shared->spec.version;
  r.endpoint = endpoint();
  env->report(r);
}

void instance_actor_state::update_port() {
  bool want = exists && port_wanted(state);
  if (!env->ports)
    return;
  if (want && port == 0) {
    auto sh = shared;
    auto handler = [sh, serving = env->serving](const http_request& req) {
      if (serving && !serving->valid_now())
        return http_response{503, R"({"error":"fenced: the node is out of contact with the coordinator"})",
                             "application/json"};
      return serve_instance(*sh, req);
    };
    result<int> got = error("not tried");
    if (last_port > 0)
      got = env->ports->open(env->host, last_port, handler);
    if (!got)
      got = env->ports->open(env->host, 0, handler);
    if (!got) {
      spdlog::warn("instance {}: no HTTP port: {}", name, got.err().message);
      return;
    }
    port = *got;
    last_port = port;
    shared->open_port = port;
  } else if (!want && port != 0) {
    env->ports->close(port);
    port = 0;
    shared->open_port = 0;
  }
}

void instance_actor_state::enter(instance_state next) {
  state = next;
  ++generation;
  {
    std::lock_guard<std::mutex> guard{shared->mtx};
    shared->state = next;
    shared->exists = exists;
  }
  update_port();
  report();
  schedule_phase();
}

void instance_actor_state::schedule_phase() {
  if (!schedule)
    return;
  const auto& spec = shared->spec;
  auto at = [&](const char* phase, ms fallback, lifecycle_event ev) {
    schedule(phase_duration(spec, phase, fallback), phase_elapsed{generation, ev});
  };
  switch (state) {
    case instance_state::creating_vm: at("create_vm", ms(10), lifecycle_event::vm_created); break;
    case instance_state::starting_vm: at("start_vm", ms(10), lifecycle_event::vm_started); break;
    case instance_state::restarting_role:
      at("restart_role", ms(10), lifecycle_event::vm_started);
      break;
    case instance_state::starting_role:
      at("start_role", ms(10), lifecycle_event::role_started);
      break;
    case instance_state::stopping_role:
      at("stop_role", ms(10), lifecycle_event::role_stopped);
      break;
    case instance_state::stopping_vm: at("stop_vm", ms(10), lifecycle_event::vm_stopped); break;
    case instance_state::aborted:
      at("abort_restart", ms(1000), lifecycle_event::abort_restart_elapsed);
      break;
    default: break;
  }
}

status instance_actor_state::disk_effect(model::disk_operation op,
                                         const std::string& rebase_digest) {
  std::lock_guard<std::mutex> guard{shared->mtx};
  if (!shared->disks)
    return error("instance '" + name + "' has no disks on this node");
  std::vector<std::string> present;
  for (const auto& l : shared->disks->locals())
    present.push_back(l.name());
  auto fate = model::disk_rule(op, role_of(shared->spec));
  return shared->disks->apply(to_disk_action(fate, rebase_digest, present));
}

status instance_actor_state::fire(lifecycle_event ev, std::optional<model::disk_operation> op,
                                  const std::string& rebase_digest) {
  auto t = model::transition(state, ev);
  if (!t)
    return t.err();
  if (op)
    if (auto st = disk_effect(*op, rebase_digest); !st)
      return st;
  enter(t->next);
  return ok_status();
}

status instance_actor_state::adopt(const protocol::instance_spec& spec) {
  // The node holds this instance's disks (e.g. from before a restart): keep them.
  auto opened = disk::instance_disks::open(env->data_dir, name);
  if (!opened)
    return opened.err();
  protocol::instance_spec kept = spec;
  if (opened->spec().base_digest == spec.image_digest) {
    opened = disk::instance_disks::open_or_create(env->data_dir, disk_spec_of(spec));
    if (!opened)
      return opened.err();
  } else if (auto old = load_spec(env->data_dir, name)) {
    kept = *old; // the disks run an older image: keep describing that one
  }
  {
    std::lock_guard<std::mutex> guard{shared->mtx};
    shared->disks = std::move(*opened);
    shared->spec = kept;
  }
  exists = true;
  (void) save_spec(env->data_dir, kept);
  enter(instance_state::stopped_vm);
  return ok_status();
}

status instance_actor_state::create_fresh(const protocol::instance_spec& spec,
                                          model::disk_operation op) {
  {
    std::lock_guard<std::mutex> guard{shared->mtx};
    if (shared->disks) {
      if (auto st = shared->disks->destroy(); !st)
        return st;
      shared->disks.reset();
    } else if (auto st = disk::destroy_instance(env->data_dir, name); !st) {
      return st;
    }
    auto made = disk::instance_disks::open_or_create(env->data_dir, disk_spec_of(spec));
    if (!made)
      return made.err();
    shared->disks = std::move(*made);
    shared->spec = spec;
  }
  (void) save_spec(env->data_dir, spec);
  exists = true;
  state = instance_state::creating_vm;
  return fire(lifecycle_event::deploy, op);
}

protocol::instance_command_result
instance_actor_state::on_command(const protocol::instance_command& cmd) {
  using k = protocol::command_kind;
  using op = model::disk_operation;
  const auto& spec = cmd.instance;
  status st = ok_status();
  bool held = exists || has_disks_on_disk(env->data_dir, name);
  if (!exists && held && cmd.kind != k::migrate_in && cmd.kind != k::remove)
    st = adopt(spec);
  if (!st)
    return {cmd.command_id, false, st.err().message};
  auto need = [&]() -> status {
    if (!exists)
      return error(std::string(protocol::to_string(cmd.kind)) + " of instance '" + name
                   + "': the instance is not on this node");
    return ok_status();
  };
  switch (cmd.kind) {
    case k::start:
      if (!exists) {
        st = create_fresh(spec, op::delete_and_deploy);
      } else if (state == instance_state::stopped_vm) {
        if (shared->disks && shared->disks->spec().base_digest == spec.image_digest) {
          std::lock_guard<std::mutex> guard{shared->mtx};
          auto re = disk::instance_disks::open_or_create(env->data_dir, disk_spec_of(spec));
          if (re) {
            shared->disks = std::move(*re);
            shared->spec = spec;
          }
        }
        st = fire(lifecycle_event::start, op::stop_start);
      } // else: starting, running, or restarting by itself: nothing to do
      break;
    case k::stop:
      if (exists)
        st = fire(lifecycle_event::stop, std::nullopt);
      break;
    case k::reboot:
      if (st = need(); st)
        st = cmd.reboot_degenerates
               ? fire(lifecycle_event::reboot_degenerated, op::reboot_degenerated_to_reimage)
               : fire(lifecycle_event::reboot, op::reboot);
      break;
    case k::reimage:
      if (st = need(); st)
        st = fire(lifecycle_event::reimage, op::reimage);
      break;
    case k::rebuild:
      if (st = need(); st)
        st = fire(lifecycle_event::rebuild, op::rebuild);
      break;
    case k::upgrade: {
      if (st = need(); !st)
        break;
      auto t = model::transition(state, lifecycle_event::upgrade);
      if (!t) {
        st = t.err();
        break;
      }
      {
        std::lock_guard<std::mutex> guard{shared->mtx};
        auto& d = *shared->disks;
        std::string rebase = d.spec().base_digest != spec.image_digest ? spec.image_digest : "";
        std::vector<std::string> present;
        for (const auto& l : d.locals())
          present.push_back(l.name());
        // The new definition decides (cleanOnRoleRecycle of the new version).
        auto fate = model::disk_rule(op::in_place_upgrade, role_of(spec));
        st = d.apply(to_disk_action(fate, rebase, present));
        if (st) {
          auto re = disk::instance_disks::open_or_create(env->data_dir, disk_spec_of(spec));
          if (re) {
            d = std::move(*re);
            shared->spec = spec;
          } else {
            st = re.err();
          }
        }
      }
      if (!st)
        break;
      (void) save_spec(env->data_dir, spec);
      enter(t->next);
      break;
    }
    case k::remove: {
      ++generation;
      exists = false;
      {
        std::lock_guard<std::mutex> guard{shared->mtx};
        shared->exists = false;
        if (shared->disks) {
          st = shared->disks->destroy();
          shared->disks.reset();
        } else {
          st = disk::destroy_instance(env->data_dir, name);
        }
      }
      update_port();
      std::error_code ec;
      fs::remove(spec_file(env->data_dir, name), ec);
      report(); // state "": forgotten
      break;
    }
    case k::migrate_in:
      st = create_fresh(spec, op::node_migration);
      break;
    case k::update_spec:
      // A new slot (VIP swap) or new settings: the role environment changes,
      // the disks and the state do not. A different image needs `upgrade`.
      if (st = need(); !st)
        break;
      if (shared->disks && shared->disks->spec().base_digest != spec.image_digest) {
        st = error("update_spec of instance '" + name
                   + "': the spec names another image; use upgrade");
        break;
      }
      {
        std::lock_guard<std::mutex> guard{shared->mtx};
        shared->spec = spec;
      }
      (void) save_spec(env->data_dir, spec);
      break;
    default:
      st = error(std::string("unknown command kind ")
                 + std::to_string(static_cast<int>(cmd.kind)));
  }
  if (!st)
    return {cmd.command_id, false, st.err().message};
  return {cmd.command_id, true, ""};
}

status instance_actor_state::on_guest(bool shutdown) {
  if (!exists)
    return error("instance '" + name + "' is not on this node");
  return shutdown ? fire(lifecycle_event::guest_shutdown,
                         model::disk_operation::guest_shutdown_auto_restart)
                  : fire(lifecycle_event::guest_restart, model::disk_operation::guest_restart);
}

void instance_actor_state::on_phase(const phase_elapsed& p) {
  if (p.generation != generation || !exists)
    return;
  if (auto st = fire(p.event, std::nullopt); !st)
    spdlog::warn("instance {}: {}", name, st.err().message);
}

void instance_actor_state::on_fence() {
  if (!exists)
    return;
  for (int i = 0; i < 4 && state != instance_state::stopped_vm; ++i) {
    auto ev = state == instance_state::stopping_role ? lifecycle_event::role_stopped
              : state == instance_state::stopping_vm ? lifecycle_event::vm_stopped
                                                     : lifecycle_event::stop;
    if (!fire(ev, std::nullopt))
      break;
  }
  ++generation; // no phase of the walk above may fire later
}

// -- the actor -----------------------------------------------------------------

caf::behavior instance_actor(caf::stateful_actor<instance_actor_state>* self,
                             std::shared_ptr<const instance_env> env, std::string name) {
  auto& st = self->state;
  st.env = std::move(env);
  st.name = std::move(name);
  st.shared->actor = self->address();
  st.shared->spec.name = st.name;
  st.schedule = [self](ms d, phase_elapsed p) {
    if (d.count() <= 0)
      self->send(self, p);
    else
      self->delayed_send(self, d, p);
  };
  self->attach_functor([sh = st.shared, ports = st.env->ports](const caf::error&) {
    // Closing on exit (node shutdown): the port's handler must not outlive us.
    if (ports && sh->open_port != 0)
      ports->close(sh->open_port);
  });
  return {
    [self](const protocol::instance_command& cmd) {
      auto rp = self->make_response_promise<protocol::instance_command_result>();
      rp.deliver(self->state.on_command(cmd));
      if (cmd.kind == protocol::command_kind::remove)
        self->quit();
      return rp;
    },
    [self](guest_op op) {
      if (!op.due) {
        op.due = true;
        self->delayed_send(self, phase_duration(self->state.shared->spec, "guest_op", ms(50)),
                           op);
        return;
      }
      if (auto st = self->state.on_guest(op.shutdown); !st)
        spdlog::info("instance {}: guest {} refused: {}", self->state.name,
                     op.shutdown ? "shutdown" : "restart", st.err().message);
    },
    [self](phase_elapsed p) { self->state.on_phase(p); },
    [self](fence_msg f) {
      if (f.fenced)
        self->state.on_fence();
    },
  };
}

} // namespace fabric::node
