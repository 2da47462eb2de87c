#include "transport/zmq_transport.hpp"

#include <array>
#include <vector>

namespace fabric::transport {

namespace {
std::atomic<uint64_t> inproc_counter{0};
} // namespace

zmq_transport::zmq_transport(zmq::context_t& ctx, zmq::socket_type type)
  : is_router_(type == zmq::socket_type::router),
    main_(ctx, type),
    outbox_pull_(ctx, zmq::socket_type::pull),
    outbox_push_(ctx, zmq::socket_type::push) {
  main_.set(zmq::sockopt::linger, 0);
  outbox_pull_.set(zmq::sockopt::linger, 0);
  outbox_push_.set(zmq::sockopt::linger, 0);
  auto name = "inproc://fabric-outbox-" + std::to_string(++inproc_counter);
  outbox_pull_.bind(name);
  outbox_push_.connect(name);
}

zmq_transport::~zmq_transport() = default;

result<std::unique_ptr<zmq_transport>>
zmq_transport::bind_router(zmq::context_t& ctx, const std::string& endpoint,
                           std::int64_t max_message_bytes) {
  try {
    std::unique_ptr<zmq_transport> t(new zmq_transport(ctx, zmq::socket_type::router));
    t->main_.set(zmq::sockopt::router_mandatory, 1);
    if (max_message_bytes > 0)
      t->main_.set(zmq::sockopt::maxmsgsize, max_message_bytes);
    t->main_.bind(endpoint);
    t->bound_endpoint_ = t->main_.get(zmq::sockopt::last_endpoint);
    return t;
  } catch (const zmq::error_t& e) {
    return error{"cannot listen on " + endpoint + ": " + e.what()};
  }
}

result<std::unique_ptr<zmq_transport>>
zmq_transport::connect_dealer(zmq::context_t& ctx, const std::string& endpoint,
                              std::int64_t max_message_bytes) {
  try {
    std::unique_ptr<zmq_transport> t(new zmq_transport(ctx, zmq::socket_type::dealer));
    if (max_message_bytes > 0)
      t->main_.set(zmq::sockopt::maxmsgsize, max_message_bytes);
    t->main_.set(zmq::sockopt::immediate, 1);
    t->main_.set(zmq::sockopt::reconnect_ivl, 100);
    t->main_.set(zmq::sockopt::reconnect_ivl_max, 1000);
    t->main_.connect(endpoint);
    return t;
  } catch (const zmq::error_t& e) {
    return error{"cannot connect to " + endpoint + ": " + e.what()};
  }
}

void zmq_transport::send(const peer_id& to, std::string bytes) {
  std::lock_guard<std::mutex> guard(push_mtx_);
  try {
    outbox_push_.send(zmq::buffer(to), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    outbox_push_.send(zmq::message_t(bytes.data(), bytes.size()), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    ++failures_;
  }
}

void zmq_transport::flush_outbox() {
  for (;;) {
    zmq::message_t peer;
    zmq::message_t body;
    try {
      if (!outbox_pull_.recv(peer, zmq::recv_flags::dontwait))
        return;
      if (!peer.more() || !outbox_pull_.recv(body, zmq::recv_flags::dontwait)) {
        ++failures_;
        continue;
      }
    } catch (const zmq::error_t&) {
      return;
    }
    try {
      zmq::send_result_t sent;
      if (is_router_) {
        sent = main_.send(peer, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
        if (sent)
          sent = main_.send(body, zmq::send_flags::dontwait);
      } else {
        sent = main_.send(body, zmq::send_flags::dontwait);
      }
      if (sent)
        ++sent_;
      else
        ++failures_;
    } catch (const zmq::error_t&) {
      // EHOSTUNREACH: router_mandatory and the peer is unknown or gone.
      ++failures_;
    }
  }
}

std::optional<inbound_frame> zmq_transport::read_main() {
  std::vector<zmq::message_t> parts;
  for (;;) {
    zmq::message_t part;
    if (!main_.recv(part, zmq::recv_flags::dontwait))
      break;
    bool more = part.more();
    parts.push_back(std::move(part));
    if (!more)
      break;
  }
  if (parts.empty())
    return std::nullopt;
  inbound_frame out;
  if (is_router_) {
    // [routing id, body]. A peer that sends several parts gets only its last
    // part taken as the body; a frame with no body part is empty.
    out.from = parts.front().to_string();
    if (parts.size() >= 2)
      out.bytes = parts.back().to_string();
  } else {
    out.bytes = parts.back().to_string();
  }
  ++received_;
  return out;
}

std::optional<inbound_frame> zmq_transport::receive(std::chrono::milliseconds timeout) {
  flush_outbox();
  if (auto f = read_main())
    return f;
  std::array<zmq::pollitem_t, 2> items{{{main_.handle(), 0, ZMQ_POLLIN, 0},
                                        {outbox_pull_.handle(), 0, ZMQ_POLLIN, 0}}};
  try {
    zmq::poll(items.data(), items.size(), timeout);
  } catch (const zmq::error_t&) {
    return std::nullopt;  // EINTR: the caller loops
  }
  if (items[1].revents & ZMQ_POLLIN)
    flush_outbox();
  if (items[0].revents & ZMQ_POLLIN)
    return read_main();
  return std::nullopt;
}

transport_stats zmq_transport::stats() const {
  return {sent_.load(), received_.load(), failures_.load()};
}

} // namespace fabric::transport
