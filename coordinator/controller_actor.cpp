#include "coordinator/controller_actor.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/image_catalog.hpp"
#include "coordinator/upgrade_engine.hpp"

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

/// An immediate tick after the messages already queued (coalesced).
void tick_soon(self_ptr self) {
  if (self->state.tick_queued)
    return;
  self->state.tick_queued = true;
  self->send(self, controller_tick{});
}

/// One timer tick at the upgrade engine's next deadline, unless one at or
/// before it is pending (a later pending one then only ticks for nothing).
void arm_deadline(self_ptr self) {
  auto next = self->state.core->upgrades().next_deadline();
  auto& armed = self->state.armed;
  if (!next || (armed && *armed <= *next))
    return;
  armed = next;
  auto now = self->clock().now();
  auto delay = *next > now ? *next - now : decltype(now - now){0};
  self->delayed_send(self, delay, controller_tick{next});
}

void tick(self_ptr self) {
  ++self->state.ticks;
  self->state.core->on_tick(self->clock().now());
  flush(self);
  arm_deadline(self);
}

/// Returns freed heap to the OS when more than `threshold` bytes are free.
void trim_heap(std::size_t threshold) {
#if defined(__GLIBC__)
  if (mallinfo2().fordblks > threshold)
    malloc_trim(0);
#else
  (void)threshold;
#endif
}

constexpr auto memory_trim_interval = std::chrono::seconds(1);

/// Fixed glibc thresholds: allocations of 256 kB and more (a deployment's
/// instance vector, a JSON body of thousands of instances) are mmapped and
/// unmapped on free, and an arena's free top above 1 MB is released. Setting
/// them turns off glibc's dynamic thresholds, which after one large free keep
/// up to 2x that size of free top resident in every thread's arena (malloc_trim
/// does not shrink a thread arena's top).
void configure_allocator() {
#if defined(__GLIBC__)
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    return true;
  }();
  (void)once;
#endif
}

} // namespace

caf::behavior controller_actor(self_ptr self, std::shared_ptr<controller> core,
                               std::shared_ptr<transport::transport> out) {
  self->state.core = std::move(core);
  self->state.out = std::move(out);
  self->state.core->set_clock([sys = &self->home_system()] { return sys->clock().now(); });
  tick_soon(self);  // an upgrade in flight in the journal resumes
  if (auto grace = self->state.core->config().unseen_node_grace; grace.count() > 0)
    self->delayed_send(self, grace, unseen_nodes_check{});
  if (auto retry = self->state.core->config().command_retry; retry.count() > 0)
    self->delayed_send(self, retry / 2, resend_check{});
  configure_allocator();
  self->delayed_send(self, memory_trim_interval, memory_trim_check{});
  self->delayed_send(self, self->state.core->liveness_interval(), liveness_check{});
  return {
    [=](liveness_check) {
      self->state.core->on_liveness(self->clock().now());
      flush(self);
      self->delayed_send(self, self->state.core->liveness_interval(), liveness_check{});
    },
    [=](memory_trim_check) {
      trim_heap(std::size_t{4} << 20);
      self->delayed_send(self, memory_trim_interval, memory_trim_check{});
    },
    [=](resend_check) {
      auto retry = self->state.core->config().command_retry;
      self->state.core->resend_unanswered(self->clock().now(), retry);
      flush(self);
      self->delayed_send(self, retry / 2, resend_check{});
    },
    [=](const controller_tick& t) {
      auto& st = self->state;
      if (!t.deadline) {
        // Reports still queued behind this tick (a burst of answers): tick
        // after them, so one pass sees the burst (at most 16 times in a row,
        // so a steady stream cannot starve the engine).
        if (!self->mailbox().empty() && st.deferred < 16) {
          ++st.deferred;
          self->send(self, controller_tick{});
          return;
        }
        st.deferred = 0;
        st.tick_queued = false;
      } else if (st.armed == t.deadline) {
        st.armed.reset();
      }
      tick(self);
    },
    [=](const node_up_event& e) {
      node_info n{e.name, e.fault_domain, e.capacity, e.peer, e.epoch, true};
      self->state.core->on_node_up(n, e.held);
      flush(self);
      tick_soon(self);
    },
    [=](const node_down_event& e) {
      self->state.core->on_node_down(e.name);
      flush(self);
      tick_soon(self);
    },
    [=](const node_status_event& e) {
      self->state.core->on_instance_statuses(e.name, e.instances);
      flush(self);
      tick_soon(self);
    },
    [=](const actors::peer_message& in) {
      auto& core = *self->state.core;
      if (auto* r = std::get_if<protocol::instance_report>(&in.message))
        core.on_report(in.peer, *r);
      else if (auto* res = std::get_if<protocol::instance_command_result>(&in.message))
        core.on_command_result(in.peer, *res);
      flush(self);
      tick_soon(self);
    },
    [=](unseen_nodes_check) {
      self->state.core->expire_unseen_nodes();
      flush(self);
    },
    [=](const api_call& call) -> api_result {
      auto res = call.run(*self->state.core);
      flush(self);
      tick_soon(self);
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
