#include "node/instance_manager.hpp"

#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/peer_message.hpp"
#include "node/node_actor.hpp"

namespace fabric::node {

namespace fs = std::filesystem;

// -- board, held ---------------------------------------------------------------

void instance_board::update(const protocol::instance_report& r) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (r.state.empty())
    states_.erase(r.instance_name);
  else
    states_[r.instance_name] = {r.instance_name, r.state, r.version, r.endpoint};
}

std::vector<protocol::instance_status> instance_board::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<protocol::instance_status> out;
  out.reserve(states_.size());
  for (const auto& [name, s] : states_)
    out.push_back(s);
  return out;
}

std::size_t instance_board::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return states_.size();
}

std::vector<protocol::held_instance> held_on_disk(const fs::path& data_dir) {
  std::vector<protocol::held_instance> out;
  auto list = disk::list_instances(data_dir);
  if (!list) {
    spdlog::warn("cannot list the instances on disk: {}", list.err().message);
    return out;
  }
  for (const auto& d : *list) {
    protocol::held_instance h;
    h.instance_name = d.instance;
    std::error_code ec;
    auto layer = data_dir / "instances" / d.instance / "os" / "layer";
    h.has_os_layer = fs::is_directory(layer, ec) && !fs::is_empty(layer, ec);
    if (auto spec = load_spec(data_dir, d.instance)) {
      h.deployment_name = spec->deployment;
      h.version = spec->version;
    }
    for (const auto& r : d.resources) {
      protocol::local_resource l;
      l.name = r.name;
      l.size_mb = r.size_mb;
      h.local_resources.push_back(l);
    }
    out.push_back(std::move(h));
  }
  return out;
}

// -- the manager ---------------------------------------------------------------

namespace {

using self_ptr = caf::stateful_actor<instance_manager_state>*;
using protocol::command_kind;

std::string needed_digest(const protocol::instance_command& cmd) {
  if (cmd.kind == command_kind::stop || cmd.kind == command_kind::remove
      || cmd.kind == command_kind::update_spec)
    return {};
  return cmd.instance.image_digest;
}

void drain(self_ptr self);

void run(self_ptr self, instance_manager_state::queued& q) {
  auto& st = self->state;
  const auto& name = q.cmd.instance.name;
  auto rp = q.rp;
  auto id = q.cmd.command_id;
  auto it = st.instances.find(name);
  if (it == st.instances.end()) {
    const auto& env = *st.config.env;
    if (q.cmd.kind == command_kind::stop || q.cmd.kind == command_kind::update_spec) {
      // Not running here: nothing to stop; the next start carries the spec.
      rp.deliver(protocol::instance_command_result{id, true, ""});
      return;
    }
    if (q.cmd.kind == command_kind::remove) {
      // Not running here (e.g. held from before a restart): drop its disks.
      auto done = disk::destroy_instance(env.data_dir, name);
      std::error_code ec;
      fs::remove(spec_file(env.data_dir, name), ec);
      if (env.report)
        env.report({name, "", "", ""});
      rp.deliver(protocol::instance_command_result{id, done.ok(),
                                                   done ? "" : done.err().message});
      return;
    }
    if (st.instances.size() >= st.config.capacity) {
      rp.deliver(protocol::instance_command_result{
        id, false,
        "node full: it hosts " + std::to_string(st.instances.size())
          + " instances (capacity " + std::to_string(st.config.capacity) + ")"});
      return;
    }
    auto actor = self->spawn<caf::linked>(instance_actor, st.config.env, name);
    it = st.instances.emplace(name, actor).first;
  }
  auto actor = it->second;
  bool removal = q.cmd.kind == command_kind::remove;
  if (removal) {
    st.instances.erase(it); // it quits after answering
    st.removing.insert(name);
  }
  auto done = [self, removal, name] {
    if (removal) {
      self->state.removing.erase(name);
      drain(self);
    }
  };
  self->request(actor, caf::infinite, q.cmd)
    .then(
      [rp, done](const protocol::instance_command_result& r) mutable {
        rp.deliver(r);
        done();
      },
      [self, rp, id, done](caf::error& err) mutable {
        rp.deliver(protocol::instance_command_result{id, false, self->system().render(err)});
        done();
      });
}

/// Runs every queued command whose image is here, in order per instance;
/// starts the fetches the others need.
void drain(self_ptr self) {
  auto& st = self->state;
  images::image_store images{st.config.env->data_dir};
  std::set<std::string> blocked;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    const auto& name = it->cmd.instance.name;
    if (blocked.count(name) || st.removing.count(name)) {
      ++it;
      continue;
    }
    auto digest = needed_digest(it->cmd);
    if (!digest.empty() && !images.contains(digest)) {
      auto f = st.fetches.find(digest);
      if (f == st.fetches.end()) {
        auto rx = images.begin_receive(digest, st.config.max_image_bytes);
        f = st.fetches.emplace(digest, instance_manager_state::fetch{}).first;
        if (!rx) {
          f->second.error = rx.err().message;
        } else {
          f->second.rx.emplace(std::move(*rx));
          spdlog::info("fetching image {} for {}", digest, name);
          if (st.config.request_image)
            st.config.request_image(protocol::image_request{digest});
        }
      }
      if (!f->second.error.empty()) {
        it->rp.deliver(protocol::instance_command_result{
          it->cmd.command_id, false, "image " + digest + ": " + f->second.error});
        it = st.waiting.erase(it);
        continue;
      }
      blocked.insert(name);
      ++it;
      continue;
    }
    auto q = std::move(*it);
    it = st.waiting.erase(it);
    run(self, q);
  }
  for (auto f = st.fetches.begin(); f != st.fetches.end();)
    f = f->second.error.empty() ? std::next(f) : st.fetches.erase(f);
}

void on_chunk(self_ptr self, const protocol::image_chunk& c) {
  auto& st = self->state;
  auto f = st.fetches.find(c.digest);
  if (f == st.fetches.end() || !f->second.rx)
    return; // not asked for, or already failed
  auto& fetch = f->second;
  auto fail = [&](const std::string& why) {
    spdlog::warn("image {}: {}", c.digest, why);
    fetch.error = why;
    fetch.rx.reset();
  };
  if (c.offset != fetch.rx->bytes_received()) {
    fail("chunk at offset " + std::to_string(c.offset) + ", expected offset "
         + std::to_string(fetch.rx->bytes_received()));
  } else if (auto fed = fetch.rx->feed(std::string_view(c.data.data(), c.data.size())); !fed) {
    fail(fed.err().message);
  } else if (c.last) {
    auto done = fetch.rx->finish();
    if (!done) {
      fail(done.err().message);
    } else {
      ++st.images_fetched;
      spdlog::info("image {} received ({} bytes)", c.digest, fetch.rx->bytes_received());
      st.fetches.erase(f);
    }
  } else {
    return;
  }
  drain(self);
}

} // namespace

caf::behavior instance_manager(self_ptr self, instance_manager_config config) {
  self->state.config = std::move(config);
  return {
    [self](const protocol::instance_command& cmd) {
      auto rp = self->make_response_promise<protocol::instance_command_result>();
      if (cmd.instance.name.empty()) {
        rp.deliver(protocol::instance_command_result{cmd.command_id, false,
                                                     "the command names no instance"});
        return rp;
      }
      self->state.waiting.push_back({cmd, rp});
      drain(self);
      return rp;
    },
    [self](const actors::peer_message& in) {
      if (auto* c = std::get_if<protocol::image_chunk>(&in.message))
        on_chunk(self, *c);
    },
    [self](fence_msg f) {
      self->state.fenced = f.fenced;
      if (f.fenced)
        spdlog::warn("coordinator silent: fencing {} instances (ports closed, stopped)",
                     self->state.instances.size());
      for (auto& [name, actor] : self->state.instances)
        self->send(actor, f);
    },
  };
}

} // namespace fabric::node
