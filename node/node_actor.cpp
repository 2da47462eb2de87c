#include "node/node_actor.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace fabric::node {

namespace {

using self_ptr = caf::stateful_actor<node_actor_state>*;

void send_out(self_ptr self, const outbound& msg) {
  std::visit([&](const auto& m) { self->state.out->send({}, protocol::encode(m)); }, msg);
}

void on_command(self_ptr self, const protocol::instance_command& cmd) {
  auto& st = self->state;
  auto reply = [self](const protocol::instance_command_result& r) {
    self->state.out->send({}, protocol::encode(r));
  };
  if (st.fenced) {
    // Fenced: nothing runs until the coordinator confirms the instances
    // through a registration (reconcile). A start / migrate_in / remove is
    // dropped (the coordinator sends it again while unanswered, and reconcile
    // repeats what is still wanted); anything else is refused.
    ++st.commands_refused;
    using k = protocol::command_kind;
    if (cmd.kind == k::start || cmd.kind == k::migrate_in || cmd.kind == k::remove) {
      spdlog::info("fenced: {} {} dropped until registered again", protocol::to_string(cmd.kind),
                   cmd.instance.name);
      return;
    }
    reply({cmd.command_id, false,
           "the node is fenced (out of contact with the coordinator) and registers again"});
    return;
  }
  if (!st.config.commands) {
    ++st.commands_refused;
    reply({cmd.command_id, false,
           std::string("not implemented: ") + protocol::to_string(cmd.kind)});
    return;
  }
  self->request(st.config.commands, caf::infinite, cmd)
    .then(reply, [self, reply, id = cmd.command_id](caf::error& err) {
      reply({id, false, self->system().render(err)});
    });
}

void set_fenced(self_ptr self, bool fenced) {
  auto& st = self->state;
  if (st.fenced == fenced)
    return;
  st.fenced = fenced;
  if (st.config.serving_lease) {
    if (fenced)
      st.config.serving_lease->revoke();
    else
      st.config.serving_lease->renew_until(st.sess.lease_until());
  }
  if (fenced)
    spdlog::warn("no word from the coordinator: fencing the instances");
  else
    spdlog::info("back in touch with the coordinator: instances follow its commands");
  if (st.config.on_fence)
    st.config.on_fence(fenced);
}

/// The lease ran out (e.g. the process was stopped past it): fence at once
/// and register again. Called first by every handler.
void expire_lease(self_ptr self, actors::steady_time now) {
  auto& st = self->state;
  if (!st.sess.lease_expired(now))
    return;
  set_fenced(self, true);
  // Fenced instances come back only through the coordinator's reconcile,
  // which follows a registration: register again (else a node whose acks
  // were lost, but that the coordinator never declared down, would keep its
  // instances stopped for good).
  st.sess.on_register_required({st.config.identity.name, st.sess.epoch(), "lease expired"});
}

/// An ack arrived (the session has taken it): renew the serving lease and
/// arm the fence for its end.
void acked(self_ptr self, actors::steady_time now) {
  auto& st = self->state;
  ++st.acks;
  if (!st.fenced && st.config.serving_lease)
    st.config.serving_lease->renew_until(st.sess.lease_until());
  auto left = std::max(actors::steady_time::duration::zero(), st.sess.lease_until() - now);
  self->delayed_send(self, left, fence_check{st.acks});
}

} // namespace

caf::behavior node_actor(self_ptr self, node_actor_config config,
                         std::shared_ptr<transport::transport> out) {
  self->state.sess = session(config.identity, config.detector);
  self->state.config = std::move(config);
  self->state.out = std::move(out);
  self->send(self, fabric::beat_atom_v);
  return {
    [=](fabric::beat_atom) {
      auto& st = self->state;
      expire_lease(self, self->clock().now());
      if (auto msg = st.sess.on_tick_lazy(self->clock().now(), st.config.held,
                                          st.config.instances))
        send_out(self, *msg);
      self->delayed_send(self, st.sess.heartbeat_interval(), fabric::beat_atom_v);
    },
    [=](const actors::peer_message& in) {
      auto& st = self->state;
      auto now = self->clock().now();
      expire_lease(self, now);
      if (auto* ack = std::get_if<protocol::register_ack>(&in.message)) {
        bool was = st.sess.registered();
        auto old_epoch = st.sess.epoch();
        st.sess.on_register_ack(*ack, now);
        if (!ack->accepted) {
          spdlog::warn("registration refused: {}", ack->reason);
        } else if (st.sess.epoch() != old_epoch) {
          spdlog::info("{} with epoch {}", was ? "re-registered" : "registered", st.sess.epoch());
          if (st.sess.lease_expired(now)) {
            expire_lease(self, now);  // an ack that waited past its lease
          } else {
            set_fenced(self, false);
            acked(self, now);
          }
        }
      } else if (auto* hb = std::get_if<protocol::heartbeat_ack>(&in.message)) {
        st.sess.on_heartbeat_ack(*hb, now);
        if (st.sess.registered())
          acked(self, now);
        if (st.sess.registered() && st.config.on_heartbeat_rtt)
          st.config.on_heartbeat_rtt(std::chrono::microseconds(st.sess.last_rtt_us()));
      } else if (auto* req = std::get_if<protocol::register_required>(&in.message)) {
        bool was = st.sess.registered();
        st.sess.on_register_required(*req);
        if (was && !st.sess.registered()) {
          spdlog::warn("coordinator asks to register again: {}", req->reason);
          set_fenced(self, true); // it may have declared us down: stop serving at once
        }
      } else if (auto* cmd = std::get_if<protocol::instance_command>(&in.message)) {
        on_command(self, *cmd);
      }
    },
    [=](fence_check c) {
      auto& st = self->state;
      auto now = self->clock().now();
      expire_lease(self, now);
      // The latest timer found the lease still running (a timer may fire a
      // hair early): check again at its end.
      if (c.acks == st.acks && !st.fenced && st.sess.registered())
        self->delayed_send(self, std::max(st.sess.lease_until() - now,
                                          actors::steady_time::duration(std::chrono::milliseconds(1))),
                           fence_check{st.acks});
    },
    [=](fabric::snapshot_atom) {
      auto& st = self->state;
      return node_snapshot{st.sess.registered(), st.sess.epoch(), st.sess.registrations(),
                           st.sess.last_rtt_us(), st.commands_refused, st.fenced};
    },
  };
}

} // namespace fabric::node
