#pragma once

// In-memory implementation of transport for the simulation tier: a network of
// named endpoints in one process, deterministic given the seed of the RNG it
// is handed, with fault hooks (drop, duplicate, reorder, partition).
//
// Sent frames wait in the network's in-flight list until the test (or the
// simulation driver) calls deliver_one()/deliver_all(); faults are decided at
// delivery time with the network's RNG, so a run is a pure function of the
// seed, the fault settings and the order of calls. With auto_deliver(true)
// every send() delivers at once (faults still apply), which suits threaded
// use such as actor tests.
//
// Thread-safety: all members are safe to call from any thread (one mutex).
// A node-side endpoint names its coordinator with set_default_peer().

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include "transport/transport.hpp"

namespace fabric::transport {

/// Fault probabilities, each in [0, 1].
struct fault_settings {
  double drop = 0.0;       ///< frame is lost
  double duplicate = 0.0;  ///< frame is delivered twice
  double reorder = 0.0;    ///< a random in-flight frame goes first instead of the oldest
};

struct inmem_stats {
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t partitioned = 0;  ///< dropped because the two ends were cut apart
  uint64_t unknown_peer = 0;
};

class inmem_endpoint;

class inmem_network : public std::enable_shared_from_this<inmem_network> {
public:
  /// REQUIRES: use through std::make_shared (endpoints keep the network alive).
  explicit inmem_network(std::mt19937_64 rng);

  /// Creates the endpoint `self`. A node endpoint sends to `default_peer` when
  /// send() is given an empty peer id.
  /// REQUIRES: `self` is not attached yet.
  std::unique_ptr<inmem_endpoint> attach(const peer_id& self, const peer_id& default_peer = {});

  void set_faults(const fault_settings& f);
  void auto_deliver(bool on);

  /// Cuts every link between a member of `a` and a member of `b` (both ways).
  void partition(const std::set<peer_id>& a, const std::set<peer_id>& b);
  /// Removes every partition.
  void heal();

  /// Moves one in-flight frame to its destination (applying faults).
  /// Returns false when nothing was in flight.
  bool deliver_one();
  /// Delivers until nothing is in flight (duplicates are not re-duplicated);
  /// returns the number of frames taken off the in-flight list.
  std::size_t deliver_all();

  std::size_t in_flight() const;
  inmem_stats stats() const;

private:
  friend class inmem_endpoint;
  struct frame {
    peer_id from;
    peer_id to;
    std::string bytes;
  };
  struct mailbox {
    std::deque<inbound_frame> frames;
  };

  void enqueue(frame f);
  bool deliver_one_locked();
  bool cut(const peer_id& a, const peer_id& b) const;
  bool chance(double p);
  void detach(const peer_id& self);

  mutable std::mutex mtx_;
  std::condition_variable arrived_;
  std::mt19937_64 rng_;
  fault_settings faults_;
  bool auto_deliver_ = false;
  std::deque<frame> in_flight_;
  std::map<peer_id, mailbox> mailboxes_;
  std::set<std::pair<peer_id, peer_id>> cuts_;
  inmem_stats stats_;
};

/// One peer's view of an inmem_network.
class inmem_endpoint final : public transport {
public:
  ~inmem_endpoint() override;

  void send(const peer_id& to, std::string bytes) override;
  std::optional<inbound_frame> receive(std::chrono::milliseconds timeout) override;
  transport_stats stats() const override;

  /// A frame if one is waiting, without waiting.
  std::optional<inbound_frame> try_receive() { return receive(std::chrono::milliseconds(0)); }

  const peer_id& self() const { return self_; }

private:
  friend class inmem_network;
  inmem_endpoint(std::shared_ptr<inmem_network> net, peer_id self, peer_id default_peer);

  std::shared_ptr<inmem_network> net_;
  peer_id self_;
  peer_id default_peer_;
  transport_stats stats_;  // guarded by net_->mtx_
};

} // namespace fabric::transport
