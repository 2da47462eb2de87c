#include "transport/inmem_transport.hpp"

#include <utility>

namespace fabric::transport {

inmem_network::inmem_network(std::mt19937_64 rng) : rng_(std::move(rng)) {}

std::unique_ptr<inmem_endpoint> inmem_network::attach(const peer_id& self,
                                                      const peer_id& default_peer) {
  std::lock_guard<std::mutex> guard(mtx_);
  mailboxes_[self];
  return std::unique_ptr<inmem_endpoint>(
    new inmem_endpoint(shared_from_this(), self, default_peer));
}

void inmem_network::detach(const peer_id& self) {
  std::lock_guard<std::mutex> guard(mtx_);
  mailboxes_.erase(self);
}

void inmem_network::set_faults(const fault_settings& f) {
  std::lock_guard<std::mutex> guard(mtx_);
  faults_ = f;
}

void inmem_network::auto_deliver(bool on) {
  std::lock_guard<std::mutex> guard(mtx_);
  auto_deliver_ = on;
}

void inmem_network::partition(const std::set<peer_id>& a, const std::set<peer_id>& b) {
  std::lock_guard<std::mutex> guard(mtx_);
  for (auto& x : a)
    for (auto& y : b) {
      cuts_.emplace(x, y);
      cuts_.emplace(y, x);
    }
}

void inmem_network::heal() {
  std::lock_guard<std::mutex> guard(mtx_);
  cuts_.clear();
}

bool inmem_network::cut(const peer_id& a, const peer_id& b) const {
  return cuts_.count({a, b}) > 0;
}

bool inmem_network::chance(double p) {
  if (p <= 0.0)
    return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

void inmem_network::enqueue(frame f) {
  in_flight_.push_back(std::move(f));
  if (auto_deliver_)
    while (deliver_one_locked()) {
    }
}

bool inmem_network::deliver_one_locked() {
  if (in_flight_.empty())
    return false;
  std::size_t index = 0;
  if (in_flight_.size() > 1 && chance(faults_.reorder)) {
    index = std::uniform_int_distribution<std::size_t>(1, in_flight_.size() - 1)(rng_);
    ++stats_.reordered;
  }
  frame f = std::move(in_flight_[index]);
  in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(index));
  if (cut(f.from, f.to)) {
    ++stats_.partitioned;
    return true;
  }
  if (chance(faults_.drop)) {
    ++stats_.dropped;
    return true;
  }
  auto box = mailboxes_.find(f.to);
  if (box == mailboxes_.end()) {
    ++stats_.unknown_peer;
    return true;
  }
  int copies = chance(faults_.duplicate) ? 2 : 1;
  if (copies == 2)
    ++stats_.duplicated;
  for (int i = 0; i < copies; ++i)
    box->second.frames.push_back(inbound_frame{f.from, f.bytes});
  ++stats_.delivered;
  arrived_.notify_all();
  return true;
}

bool inmem_network::deliver_one() {
  std::lock_guard<std::mutex> guard(mtx_);
  return deliver_one_locked();
}

std::size_t inmem_network::deliver_all() {
  std::lock_guard<std::mutex> guard(mtx_);
  std::size_t n = 0;
  while (deliver_one_locked())
    ++n;
  return n;
}

std::size_t inmem_network::in_flight() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return in_flight_.size();
}

inmem_stats inmem_network::stats() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return stats_;
}

inmem_endpoint::inmem_endpoint(std::shared_ptr<inmem_network> net, peer_id self,
                               peer_id default_peer)
  : net_(std::move(net)), self_(std::move(self)), default_peer_(std::move(default_peer)) {}

inmem_endpoint::~inmem_endpoint() { net_->detach(self_); }

void inmem_endpoint::send(const peer_id& to, std::string bytes) {
  std::lock_guard<std::mutex> guard(net_->mtx_);
  const peer_id& dest = to.empty() ? default_peer_ : to;
  if (net_->mailboxes_.count(dest) == 0) {
    ++stats_.send_failures;  // like router_mandatory: unknown peer
    return;
  }
  ++stats_.frames_sent;
  net_->enqueue(inmem_network::frame{self_, dest, std::move(bytes)});
}

std::optional<inbound_frame> inmem_endpoint::receive(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(net_->mtx_);
  auto& box = net_->mailboxes_[self_];
  if (box.frames.empty() && timeout.count() > 0)
    net_->arrived_.wait_for(lock, timeout, [&] { return !box.frames.empty(); });
  if (box.frames.empty())
    return std::nullopt;
  auto f = std::move(box.frames.front());
  box.frames.pop_front();
  ++stats_.frames_received;
  return f;
}

transport_stats inmem_endpoint::stats() const {
  std::lock_guard<std::mutex> guard(net_->mtx_);
  return stats_;
}

} // namespace fabric::transport
