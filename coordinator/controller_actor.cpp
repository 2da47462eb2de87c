#include "coordinator/controller_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/image_catalog.hpp"

namespace fabric::coordinator {

namespace {

using self_ptr = caf::stateful_actor<controller_actor_state>*;

void flush(self_ptr self) {
  auto& st = self->state;
  for (auto& c : st.core->take_outbound()) {
    spdlog::debug("-> {} {} {}", c.node, protocol::to_string(c.command.kind),
                  c.command.instance.name);
    st.out->send(c.peer, protocol::encode(c.command));
  }
}

} // namespace

caf::behavior controller_actor(self_ptr self, std::shared_ptr<controller> core,
                               std::shared_ptr<transport::transport> out) {
  self->state.core = std::move(core);
  self->state.out = std::move(out);
  if (auto grace = self->state.core->config().unseen_node_grace; grace.count() > 0)
    self->delayed_send(self, grace, unseen_nodes_check{});
  if (auto retry = self->state.core->config().command_retry; retry.count() > 0)
    self->delayed_send(self, retry / 2, resend_check{});
  return {
    [=](resend_check) {
      auto retry = self->state.core->config().command_retry;
      self->state.core->resend_unanswered(self->clock().now(), retry);
      flush(self);
      self->delayed_send(self, retry / 2, resend_check{});
    },
    [=](const node_up_event& e) {
      node_info n{e.name, e.fault_domain, e.capacity, e.peer, e.epoch, true};
      self->state.core->on_node_up(n, e.held);
      flush(self);
    },
    [=](const node_down_event& e) {
      self->state.core->on_node_down(e.name);
      flush(self);
    },
    [=](const node_status_event& e) {
      self->state.core->on_instance_statuses(e.name, e.instances);
      flush(self);
    },
    [=](const actors::peer_message& in) {
      auto& core = *self->state.core;
      if (auto* r = std::get_if<protocol::instance_report>(&in.message))
        core.on_report(in.peer, *r);
      else if (auto* res = std::get_if<protocol::instance_command_result>(&in.message))
        core.on_command_result(in.peer, *res);
      flush(self);
    },
    [=](unseen_nodes_check) {
      self->state.core->expire_unseen_nodes();
      flush(self);
    },
    [=](const api_call& call) -> api_result {
      auto res = call.run(*self->state.core);
      flush(self);
      return res;
    },
  };
}

caf::behavior image_server_actor(caf::event_based_actor*, const image_catalog* catalog,
                                 std::shared_ptr<transport::transport> out,
                                 std::size_t chunk_bytes) {
  return {
    [=](const actors::peer_message& in) {
      auto* req = std::get_if<protocol::image_request>(&in.message);
      if (!req)
        return;
      uint64_t offset = 0;
      std::optional<protocol::image_chunk> pending;
      // Holds one chunk back so the final one can carry last=true.
      auto st = catalog->export_image(
        req->digest,
        [&](std::string_view piece) -> status {
          if (pending)
            out->send(in.peer, protocol::encode(*pending, in.correlation_id));
          pending = protocol::image_chunk{req->digest, offset,
                                          std::vector<char>(piece.begin(), piece.end()), false};
          offset += piece.size();
          return ok_status();
        },
        chunk_bytes);
      if (!st) {
        spdlog::warn("image request for {}: {}", req->digest, st.err().to_string());
        pending.reset();
        out->send(in.peer, protocol::encode(protocol::image_chunk{req->digest, 0, {}, true},
                                            in.correlation_id));
        return;
      }
      if (!pending)
        pending = protocol::image_chunk{req->digest, offset, {}, false};
      pending->last = true;
      out->send(in.peer, protocol::encode(*pending, in.correlation_id));
      spdlog::info("image {} sent: {} bytes", req->digest.substr(0, 12), offset);
    },
  };
}

} // namespace fabric::coordinator
